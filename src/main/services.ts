import { createCompute } from '../compute/module';
import type { Core, Lifecycle } from '../kernel/core';
import { createAgreements } from '../market/agreementsModule';
import { MarketService } from '../market/module';
import { PaymentService } from '../payment/module';

/** The domain services of one API instance, built once by the composition root. */
export interface ApiServices {
  market: MarketService;
  agreements: ReturnType<typeof createAgreements>['service'];
  compute: ReturnType<typeof createCompute>;
  payment: PaymentService;
}

/** Builds every domain service of the API and lists their background work in start order. */
export function buildServices(core: Core): { services: ApiServices; lifecycles: Lifecycle[] } {
  const market = new MarketService(core);
  const agreements = createAgreements(core, market);
  const compute = createCompute(core);
  const payment = new PaymentService(core);
  return {
    services: { market, agreements: agreements.service, compute, payment },
    lifecycles: [market, agreements, compute],
  };
}

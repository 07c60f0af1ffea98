import { createCompute } from '../compute/module';
import type { Core, Lifecycle } from '../kernel/core';
import { createAgreements } from '../market/agreementsModule';
import { MarketService } from '../market/module';

/** The domain services of one API instance, built once by the composition root. */
export interface ApiServices {
  market: MarketService;
  agreements: ReturnType<typeof createAgreements>['service'];
  compute: ReturnType<typeof createCompute>;
}

/** Builds every domain service of the API and lists their background work in start order. */
export function buildServices(core: Core): { services: ApiServices; lifecycles: Lifecycle[] } {
  const market = new MarketService(core);
  const agreements = createAgreements(core, market);
  const compute = createCompute(core);
  return {
    services: { market, agreements: agreements.service, compute },
    lifecycles: [market, agreements, compute],
  };
}

import { createCompute } from '../compute/module';
import type { Core, Lifecycle } from '../kernel/core';
import { createMarket, type MarketServices } from '../market';

/** The domain services of one API instance, built once by the composition root. */
export interface ApiServices {
  market: MarketServices;
  /** The agreement service; also compute's AgreementLookup. */
  agreements: MarketServices['agreements'];
  compute: ReturnType<typeof createCompute>;
}

/** Builds every domain service of the API and lists their background work in start order. */
export function buildServices(core: Core): { services: ApiServices; lifecycles: Lifecycle[] } {
  const market = createMarket(core);
  const compute = createCompute(core);
  return {
    services: { market: market.services, agreements: market.services.agreements, compute },
    lifecycles: [...market.lifecycles, compute],
  };
}

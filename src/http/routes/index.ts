import type { Core } from '../../kernel/core';
import type { ApiServices } from '../../main/services';
import type { RouteTable } from '../routeTable';
import { mountActivityRoutes } from './activity';
import { mountAgreementRoutes } from './agreements';
import { mountAppKeyRoutes } from './appKeys';
import { mountAuthRoutes } from './auth';
import { mountComputeRoutes } from './compute';
import { mountHealthRoutes } from './health';
import { mountIdentityRoutes } from './identity';
import { mountInvokeRoutes } from './invoke';
import { mountMarketRoutes } from './market';
import { mountPaymentRoutes } from './payment';
import { mountOceanRoutes } from './oceanRoot';
import { mountProviderRoutes } from './provider';
import { mountProviderActivityRoutes } from './providerActivities';

/**
 * Every route of the API, face by face, each in the router of its paths' first segment (see RouteTable). Routes are
 * thin: parse → call a domain service → render.
 */
export function mountRoutes(routes: RouteTable, core: Core, services: ApiServices): void {
  const api = routes.face('api'); // Ocean compute and auth, app keys, the provider job API, invoke
  mountHealthRoutes(routes.rest, core, () => services.compute.runnerState);
  mountAuthRoutes(api, core);
  mountAppKeyRoutes(api, core);
  mountIdentityRoutes(routes.rest, core);
  mountMarketRoutes(routes.face('market-api'), core, services.market);
  mountAgreementRoutes(routes.face('market-api'), core, services.agreements);
  mountComputeRoutes(api, core, services.compute.service, services.compute.logs);
  mountPaymentRoutes(routes.face('payment-api'), core, services.payment);
  mountOceanRoutes(routes.rest, api, core, services); // ocean.js discovery (GET /) and initializeCompute
  mountProviderRoutes(api, core, services.compute.providerJobs);
  mountInvokeRoutes(api, core, services.invoke);
  mountActivityRoutes(routes.face('activity-api'), core, services.activity);
  mountProviderActivityRoutes(api, core, services.activity);
}

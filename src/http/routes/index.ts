import type Router from '@koa/router';
import type { Core } from '../../kernel/core';
import type { ApiServices } from '../../main/services';
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

/** Every route of the API, face by face. Routes are thin: parse → call a domain service → render. */
export function mountRoutes(router: Router, core: Core, services: ApiServices): void {
  mountHealthRoutes(router, core, () => services.compute.runnerState);
  mountAuthRoutes(router, core);
  mountAppKeyRoutes(router, core);
  mountIdentityRoutes(router, core);
  mountMarketRoutes(router, core, services.market);
  mountAgreementRoutes(router, core, services.agreements);
  mountComputeRoutes(router, core, services.compute.service, services.compute.logs);
  mountPaymentRoutes(router, core, services.payment);
  mountOceanRoutes(router, core, services); // ocean.js discovery (GET /) and initializeCompute
  mountProviderRoutes(router, core, services.compute.providerJobs);
  mountInvokeRoutes(router, core, services.invoke);
  mountActivityRoutes(router, core, services.activity);
  mountProviderActivityRoutes(router, core, services.activity);
}

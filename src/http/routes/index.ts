import type Router from '@koa/router';
import type { Core } from '../../kernel/core';
import type { ApiServices } from '../../main/services';
import { mountAgreementRoutes } from './agreements';
import { mountAuthRoutes } from './auth';
import { mountComputeRoutes } from './compute';
import { mountHealthRoutes } from './health';
import { mountMarketRoutes } from './market';
import { mountProviderRoutes } from './provider';

/** Every route of the API, face by face. Routes are thin: parse → call a domain service → render. */
export function mountRoutes(router: Router, core: Core, services: ApiServices): void {
  mountHealthRoutes(router, core, () => services.compute.runnerState);
  mountAuthRoutes(router, core);
  mountMarketRoutes(router, services.market);
  mountAgreementRoutes(router, core, services.agreements);
  mountComputeRoutes(router, core, services.compute.service, services.compute.logs);
  mountProviderRoutes(router, core, services.compute.providerJobs);
}

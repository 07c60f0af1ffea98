import type Router from '@koa/router';
import type { Core, Module } from '../core';
import { mountComputeRoutes } from '../http/routes/compute';
import { ComputeService } from './computeService';
import { Dispatcher } from './dispatch';
import { JobStore } from './jobs';
import { LogTail } from './logTail';
import { closeJobQueues } from './queue';
import { Watchdog } from './watchdog';

/**
 * The compute API of one instance: Ocean compute endpoints, dispatch of approved agreements to runners, and a
 * watchdog (as in every runner) so that a job whose provider has no runner at all still fails when its agreement ends.
 */
export function computeModule(core: Core): Module {
  const jobs = new JobStore(core);
  const dispatcher = new Dispatcher(core, jobs);
  const service = new ComputeService(core, jobs, dispatcher);
  const logs = new LogTail(core);
  const watchdog = new Watchdog(jobs, core.log, core.config.jobWatchdogMs);
  return {
    name: 'compute',
    mount(router: Router) {
      mountComputeRoutes(router, core, service, logs);
    },
    async start() {
      await dispatcher.start();
      watchdog.start();
    },
    async stop() {
      await watchdog.stop();
      await dispatcher.stop();
      await closeJobQueues(core.redis);
    },
  };
}

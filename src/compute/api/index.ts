import type { Core, Lifecycle } from '../kernel/core';
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
export function createCompute(core: Core): Lifecycle & { service: ComputeService; logs: LogTail } {
  const jobs = new JobStore(core);
  const dispatcher = new Dispatcher(core, jobs);
  const service = new ComputeService(core, jobs, dispatcher);
  const logs = new LogTail(core);
  const watchdog = new Watchdog(jobs, core.log, core.config.jobWatchdogMs);
  return {
    service,
    logs,
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

import type { Core, Lifecycle } from '../../kernel/core';
import type { AgreementLookup } from '../../market/agreements/handoff';
import { JobLeases } from '../jobs/leases';
import { LogTail } from '../jobs/logTail';
import { RedisResultStore, type ResultStore } from '../jobs/results';
import { JobStore } from '../jobs/store';
import { Dispatcher } from './dispatcher';
import { ProviderJobs } from './providerJobs';
import { ComputeService } from './service';
import { Watchdog } from './watchdog';

const LOG_TAIL_BYTES = 256 * 1024;

export interface ComputeApi extends Lifecycle {
  service: ComputeService;
  providerJobs: ProviderJobs;
  logs: LogTail;
  store: JobStore;
  watchdog: Watchdog;
  /** Set by the process that embeds a runner (`bourse dev`) when that runner is off, for /ready to say why. */
  runnerState: string | undefined;
}

/**
 * The compute API of one instance: Ocean compute endpoints, the provider job API runners pull their jobs from,
 * dispatch of approved agreements, and the watchdog (jobs past their validity or deadline, lapsed claims), which
 * runs on every instance so that it works even when no runner is alive.
 */
export function createCompute(
  core: Core,
  agreements: AgreementLookup,
  results: ResultStore = new RedisResultStore(core),
): ComputeApi {
  const store = new JobStore(core, results);
  const leases = new JobLeases(core, LOG_TAIL_BYTES);
  const dispatcher = new Dispatcher(core, store, agreements);
  const watchdog = new Watchdog(core, store, leases);
  return {
    service: new ComputeService(core, store, dispatcher),
    providerJobs: new ProviderJobs(core, store, leases),
    logs: new LogTail(core),
    store,
    watchdog,
    runnerState: undefined,
    async start() {
      await dispatcher.start();
      watchdog.loop.start();
    },
    async stop() {
      await watchdog.loop.stop();
      await dispatcher.stop();
    },
  };
}

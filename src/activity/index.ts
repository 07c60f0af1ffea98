import type { ResultStore } from '../compute/jobs/results';
import type { Core } from '../kernel/core';
import type { AgreementLookup } from '../market/agreements/handoff';
import { ProviderActivities } from './leases';
import { ActivityResults } from './results';
import { ActivityService } from './service';

export interface ActivityModule {
  /** The requestor's Activity API. */
  service: ActivityService;
  /** The runner's side (provider API) and the watchdog of lost runners; a Lifecycle. */
  provider: ProviderActivities;
  /** Files the activities' commands published to the result store. */
  results: ActivityResults;
}

export function createActivity(core: Core, agreements: AgreementLookup, results: ResultStore): ActivityModule {
  const service = new ActivityService(core, agreements);
  return { service, provider: new ProviderActivities(core), results: new ActivityResults(core, results, service) };
}

import type { Core } from '../kernel/core';
import type { AgreementLookup } from '../market/agreements/handoff';
import { ProviderActivities } from './leases';
import { ActivityService } from './service';

export interface ActivityModule {
  /** The requestor's Activity API. */
  service: ActivityService;
  /** The runner's side (provider API) and the watchdog of lost runners; a Lifecycle. */
  provider: ProviderActivities;
}

export function createActivity(core: Core, agreements: AgreementLookup): ActivityModule {
  return { service: new ActivityService(core, agreements), provider: new ProviderActivities(core) };
}

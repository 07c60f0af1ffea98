import type { ResultStore } from '../compute/jobs/results';
import type { Core } from '../kernel/core';
import { Conflict, Invalid, NotFound, TooLarge } from '../kernel/errors';
import { isActivityId, isResultName } from './record';
import { publishScript } from './scripts';
import type { ActivityService } from './service';

/** The result store holds an activity's files beside jobs' results, under an owner id no job id can be. */
const owner = (activityId: string): string => `activity-${activityId}`;

export interface ActivityResultFile {
  name: string;
  size: number;
}

/**
 * Files an activity's commands publish (`transfer` from `container:<path>` to `result:<name>`): the runner holding
 * the activity uploads them under its claim's fence, the bytes go to the API's result store, and the activity's
 * parties list and download them by name, also after the activity ended.
 */
export class ActivityResults {
  constructor(
    private readonly core: Core,
    private readonly store: ResultStore,
    private readonly activities: ActivityService,
  ) {}

  async publish(provider: string, activityId: string, fence: number, name: string, bytes: Buffer): Promise<void> {
    if (!isResultName(name)) throw new Invalid('name must be 1-200 letters, digits, ".", "_" or "-"');
    const { keys, redis } = this.core;
    const holder = isActivityId(activityId) ? await redis.hget(keys.activity(activityId), 'providerId') : null;
    if (holder !== provider.toLowerCase()) throw new NotFound(`Activity ${activityId} not found`);
    const index = await redis.hincrby(keys.activity(activityId), 'resultSeq', 1);
    await this.store.put(owner(activityId), index, bytes);
    const { code, replaced } = await this.core.scripts.call(
      publishScript,
      { activity: keys.activity(activityId), results: keys.activityResults(activityId) },
      { fence, name, index, size: bytes.length, maxBytes: this.core.config.maxResultBytes },
    );
    const drop = code === 'ok' ? replaced : index;
    if (drop !== undefined) await this.store.remove(owner(activityId), [drop]);
    if (code === 'fenced') throw new Conflict(`Activity ${activityId} is not held by this claim`);
    if (code === 'toolarge')
      throw new TooLarge(`The activity's results would exceed ${this.core.config.maxResultBytes} bytes`);
  }

  async list(caller: string, activityId: string): Promise<ActivityResultFile[]> {
    await this.activities.load(caller, activityId);
    const entries = await this.core.redis.hgetall(this.core.keys.activityResults(activityId));
    return Object.entries(entries)
      .map(([name, value]) => ({ name, size: (JSON.parse(value) as { size: number }).size }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async download(caller: string, activityId: string, name: string): Promise<Buffer> {
    await this.activities.load(caller, activityId);
    const entry = await this.core.redis.hget(this.core.keys.activityResults(activityId), name);
    const bytes = entry && (await this.store.get(owner(activityId), (JSON.parse(entry) as { index: number }).index));
    if (!bytes) throw new NotFound(`Result [${name}] of activity [${activityId}] not found.`);
    return bytes;
  }
}

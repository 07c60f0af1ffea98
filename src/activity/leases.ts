import type { Core, Lifecycle } from '../kernel/core';
import { Conflict, Invalid, NotFound } from '../kernel/errors';
import { Periodic } from '../kernel/loops';
import { isActivityId, type ActivityState, type CommandResult, type RuntimeEvent } from './record';
import { claimScript, lostScript, reportScript, type EndedActivity } from './scripts';

/** What a runner gets when it claims a batch: the activity's workspace is its own for the activity's lifetime. */
export interface ClaimedBatch {
  activityId: string;
  agreementId: string;
  batchId: string;
  /** ExeScript text (a JSON array of commands). */
  text: string;
  fence: number;
  leaseMs: number;
}

/** A runner's report on its batch, or with batchId '' a renewal of its hold on an idle activity. */
export interface ActivityReport {
  fence: number;
  batchId: string;
  events: RuntimeEvent[];
  results: CommandResult[];
  state?: ActivityState;
  done: boolean;
  cpuMs: number;
  leaseMs: number;
}

const REPORT_STATES = new Set(['Deployed', 'Ready', 'Terminated']);
const MAX_ITEMS = 1000;

/** A report body, checked field by field. */
export function parseActivityReport(body: Record<string, unknown>): ActivityReport {
  const list = (name: string): unknown[] => {
    const value = body[name] ?? [];
    if (!Array.isArray(value) || value.length > MAX_ITEMS) throw new Invalid(`${name} must be an array`);
    return value;
  };
  const state = body.state;
  if (state !== undefined && (typeof state !== 'string' || !REPORT_STATES.has(state)))
    throw new Invalid('state must be Deployed, Ready or Terminated');
  const batchId = body.batchId ?? '';
  if (typeof batchId !== 'string' || (batchId !== '' && !isActivityId(batchId)))
    throw new Invalid('batchId must be a batch id or empty');
  if (batchId === '' && (list('events').length > 0 || list('results').length > 0))
    throw new Invalid('events and results need the batchId they belong to');
  const cpuMs = body.cpuMs ?? 0;
  if (!Number.isSafeInteger(cpuMs) || (cpuMs as number) < 0) throw new Invalid('cpuMs must be a whole number');
  return {
    fence: Number(body.fence),
    batchId,
    events: list('events') as RuntimeEvent[],
    results: list('results') as CommandResult[],
    state: state as ActivityState | undefined,
    done: body.done === true,
    cpuMs: cpuMs as number,
    leaseMs: Number(body.leaseMs),
  };
}

/**
 * The runner's side of activities, through the provider API: a runner of the activity's provider claims its next
 * batch (long-poll on the provider's queue), then reports events and results under the claim's fencing token; the
 * report also renews its lease. Every API instance's watchdog ends activities whose runner stopped renewing.
 */
export class ProviderActivities implements Lifecycle {
  private readonly loop: Periodic;

  constructor(private readonly core: Core) {
    this.loop = new Periodic('activity watchdog', core.config.jobWatchdogMs, () => this.sweep(), core.log);
  }

  /**
   * The next runnable batch for `runnerId`; with `heldOnly` (no room for another activity) of its own ones only. Or
   * word that an activity it holds ended, so it frees that activity's capacity now.
   */
  async claim(
    provider: string,
    runnerId: string,
    leaseMs: number,
    timeoutMs: number,
    signal?: AbortSignal,
    heldOnly = false,
  ): Promise<ClaimedBatch | EndedActivity | undefined> {
    const { keys } = this.core;
    const queue = keys.activityQueue(provider);
    const take = (): Promise<ClaimedBatch | EndedActivity | undefined> =>
      this.core.scripts
        .call(
          claimScript,
          { queue, leases: keys.activityLeases() },
          {
            activityPrefix: keys.activityPrefix(),
            batchPrefix: keys.activityBatchPrefix(),
            runnerId,
            nowMs: Date.now(),
            leaseMs,
            heldOnly: heldOnly ? '1' : '0',
          },
        )
        .then((c) =>
          c && 'activity' in c ? { ...c, activityId: c.activity.id, agreementId: c.activity.agreementId, leaseMs } : c,
        );
    // Also woken when an activity of this provider ends its batch (the next one may be waiting behind it).
    return this.core.waiter.poll([queue, keys.activityRunnable(provider)], timeoutMs, signal, take);
  }

  /** Applies a fenced report; answers the activity's state (Terminated tells the runner to clean up). */
  async report(provider: string, activityId: string, report: ActivityReport): Promise<{ state: ActivityState }> {
    const { keys } = this.core;
    if (!isActivityId(activityId)) throw new Invalid(`Invalid activity id '${activityId}'`);
    const owner = await this.core.redis.hget(keys.activity(activityId), 'providerId');
    if (owner !== provider.toLowerCase()) throw new NotFound(`Activity ${activityId} not found`);
    const batchId = report.batchId;
    const batch = keys.activityBatch(batchId || '-');
    const reply = await this.core.scripts.call(
      reportScript,
      {
        activity: keys.activity(activityId),
        batch,
        events: keys.activityBatchEvents(batchId || '-'),
        results: keys.activityBatchResults(batchId || '-'),
        leases: keys.activityLeases(),
      },
      {
        activityId,
        batchId,
        fence: report.fence,
        nowMs: Date.now(),
        leaseMs: report.leaseMs,
        newState: report.state ?? '',
        done: report.done ? '1' : '0',
        cpuMs: report.cpuMs,
        eventCount: report.events.length,
        batchWake: keys.wakeChannel(batch),
        activityWake: keys.wakeChannel(keys.activity(activityId)),
      },
      { args: [...report.events, ...report.results].map((item) => JSON.stringify(item)) },
    );
    if (!reply) throw new Conflict(`Activity ${activityId} is not held by this claim`);
    if (report.done) await this.core.redis.publish(keys.wakeChannel(keys.activityRunnable(provider)), '1');
    return reply;
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Ends every activity whose lease lapsed: its running batch gets an Error result, the activity is Terminated. */
  async sweep(): Promise<void> {
    const { keys, redis } = this.core;
    const now = Date.now();
    const lapsed = await redis.zrangebyscore(keys.activityLeases(), '-inf', now, 'LIMIT', 0, 100);
    const eventDate = new Date(now).toISOString();
    const message = 'the runner executing this activity stopped responding';
    for (const id of lapsed) {
      const result = { eventDate, result: 'Error', stdout: null, stderr: null, message, isBatchFinished: true };
      const event = { timestamp: eventDate, kind: { finished: { return_code: -1, message } } };
      const ended = await this.core.scripts.call(
        lostScript,
        { activity: keys.activity(id), leases: keys.activityLeases() },
        {
          id,
          nowMs: now,
          batchPrefix: keys.activityBatchPrefix(),
          result: JSON.stringify(result),
          reason: message,
          wakePrefix: keys.wakeChannelPrefix(),
          event: JSON.stringify(event),
        },
      );
      if (ended?.batchId) this.core.log.warn({ activityId: id, batchId: ended.batchId }, 'activity runner lost');
    }
  }
}

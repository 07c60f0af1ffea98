import type { Core } from '../kernel/core';
import { hasJobProperties } from '../compute/workload';
import { Conflict, Gone, NotFound } from '../kernel/errors';
import type { AgreementLookup } from '../market/agreements/handoff';
import { normaliseAgreementId } from '../market/ids';
import { debitNoteIntervalMs, type DueDebitNote } from '../payment/debitNotes';
import {
  isActivityId,
  newActivityId,
  newBatchId,
  parseActivity,
  parseExeScript,
  type ActivityRecord,
  type CommandResult,
  type RuntimeEvent,
} from './record';
import { createScript, debitNotesDueScript, destroyScript, execScript } from './scripts';

/** How often a stream re-reads when no wake-up came (a safety net; wake-ups normally end each wait). */
const FOLLOW_WAIT_MS = 15_000;

function parseJsonList<T>(entries: string[]): T[] {
  return entries.map((entry) => JSON.parse(entry) as T);
}

/**
 * The requestor's side of yagna's Activity API: an activity is created on an approved agreement by its requestor,
 * receives ExeScript batches, which runners of the agreement's provider execute (see ./leases.ts), and reports their
 * results, state and usage. Only the agreement's parties see an activity; anyone else gets a 404.
 */
export class ActivityService {
  constructor(
    private readonly core: Core,
    private readonly agreements: AgreementLookup,
  ) {}

  /** createActivity: the caller must be the requestor of an Approved agreement. */
  async create(caller: string, rawAgreementId: unknown): Promise<string> {
    const agreementId = typeof rawAgreementId === 'string' ? normaliseAgreementId(rawAgreementId) : undefined;
    const notFound = new NotFound(`Agreement [${String(rawAgreementId)}] not found.`);
    if (agreementId === undefined) throw notFound;
    const view = await this.agreements.computeView(agreementId);
    if (!view || view.agreement.requestorId !== caller.toLowerCase()) throw notFound;
    if (view.state !== 'Approved') throw new Gone(`Agreement [${agreementId}] is ${view.state}, not Approved.`);
    // One model per agreement: a demand with bourse.job.* got its job on approval, so it is no rental.
    if (hasJobProperties(view.agreement.demandProperties))
      throw new Conflict(
        `Agreement [${agreementId}] runs a job (its demand has bourse.job.* properties), not activities.`,
      );
    const id = newActivityId();
    const { requestorId, providerId } = view.agreement;
    const keys = {
      activity: this.core.keys.activity(id),
      agreementActivities: this.core.keys.agreementActivities(agreementId),
      debitNotesDue: this.core.keys.activityDebitNotesDue(),
    };
    await this.core.scripts.call(createScript, keys, {
      id,
      agreementId,
      requestorId,
      providerId,
      nowMs: Date.now(),
      debitNoteIntervalMs: debitNoteIntervalMs(view.agreement), // 0 at a zero price: no debit notes
    });
    return id;
  }

  /** The activity as `caller` (one of its parties) may see it; 404 otherwise. */
  async load(caller: string, id: string): Promise<ActivityRecord> {
    const record = isActivityId(id)
      ? parseActivity(await this.core.redis.hgetall(this.core.keys.activity(id)))
      : undefined;
    const who = caller.toLowerCase();
    if (!record || (record.requestorId !== who && record.providerId !== who))
      throw new NotFound(`Activity [${id}] not found.`);
    return record;
  }

  /** exec: queues a batch for the activity's runner; 410 once the activity ended. */
  async exec(caller: string, id: string, text: unknown): Promise<string> {
    const activity = await this.load(caller, id);
    if (activity.requestorId !== caller.toLowerCase()) throw new NotFound(`Activity [${id}] not found.`);
    const commands = parseExeScript(text);
    const batchId = newBatchId();
    const { keys } = this.core;
    const queue = keys.activityQueue(activity.providerId);
    const code = await this.core.scripts.call(
      execScript,
      { activity: keys.activity(id), batch: keys.activityBatch(batchId), queue },
      { batchId, text: text as string, count: commands.length, nowMs: Date.now(), queueWake: keys.wakeChannel(queue) },
    );
    if (code === 'notfound') throw new NotFound(`Activity [${id}] not found.`);
    if (code === 'terminated') throw new Gone(`Activity [${id}] is terminated.`);
    return batchId;
  }

  /** The activity of a batch `caller` may see; 404 otherwise. */
  async batch(caller: string, id: string, batchId: string): Promise<ActivityRecord> {
    const activity = await this.load(caller, id);
    const owner = /^[0-9a-f]{32}$/.test(batchId)
      ? await this.core.redis.hget(this.core.keys.activityBatch(batchId), 'activityId')
      : null;
    if (owner !== id) throw new NotFound(`Batch [${batchId}] of activity [${id}] not found.`);
    return activity;
  }

  /**
   * getExecBatchResults: the results so far, once the asked command (`commandIndex`) or, without it, the whole
   * batch has a result, the activity ended, or the timeout passed.
   */
  async results(
    caller: string,
    id: string,
    batchId: string,
    commandIndex: number | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<CommandResult[]> {
    await this.batch(caller, id, batchId);
    const { keys, redis } = this.core;
    const read = async (): Promise<CommandResult[] | undefined> => {
      const [entries, finished, state] = await Promise.all([
        redis.lrange(keys.activityBatchResults(batchId), 0, -1),
        redis.hget(keys.activityBatch(batchId), 'finished'),
        redis.hget(keys.activity(id), 'state'),
      ]);
      const done = finished === '1' || state === 'Terminated';
      const ready = commandIndex === undefined ? done : entries.length > commandIndex || done;
      return ready ? parseJsonList<CommandResult>(entries) : undefined;
    };
    const found = await this.core.waiter.poll(
      [keys.activityBatch(batchId), keys.activity(id)],
      timeoutMs,
      signal,
      read,
    );
    return found ?? parseJsonList<CommandResult>(await redis.lrange(keys.activityBatchResults(batchId), 0, -1));
  }

  /** The batch's runtime events as they come (the SSE face), until the batch or the activity ends. */
  async *follow(caller: string, id: string, batchId: string, signal: AbortSignal): AsyncGenerator<RuntimeEvent[]> {
    await this.batch(caller, id, batchId);
    const { keys, redis } = this.core;
    let cursor = 0;
    let ended = false;
    const read = async (): Promise<RuntimeEvent[] | undefined> => {
      const [entries, finished, state] = await Promise.all([
        redis.lrange(keys.activityBatchEvents(batchId), cursor, -1),
        redis.hget(keys.activityBatch(batchId), 'finished'),
        redis.hget(keys.activity(id), 'state'),
      ]);
      // Read the list after the end flags would race with a final append; re-read once the flags say "ended".
      ended = finished === '1' || state === 'Terminated';
      if (ended) entries.push(...(await redis.lrange(keys.activityBatchEvents(batchId), cursor + entries.length, -1)));
      return entries.length > 0 || ended ? parseJsonList<RuntimeEvent>(entries) : undefined;
    };
    while (!signal.aborted) {
      const events = await this.core.waiter.poll(
        [keys.activityBatch(batchId), keys.activity(id)],
        FOLLOW_WAIT_MS,
        signal,
        read,
      );
      if (events) {
        cursor += events.length;
        if (events.length > 0) yield events;
        if (ended) return;
      }
    }
  }

  /** getActivityState: yagna's `[current, next]` pair. */
  async state(caller: string, id: string): Promise<{ state: [string, null]; reason: string | null }> {
    const activity = await this.load(caller, id);
    return { state: [activity.state, null], reason: activity.reason || null };
  }

  /** getActivityUsage: `[duration s, cpu s]` (the vector `golem.usage.vector` names) and the reading's time. */
  async usage(caller: string, id: string): Promise<{ currentUsage: number[]; timestamp: number }> {
    const activity = await this.load(caller, id);
    const end = activity.terminatedMs || Date.now();
    const duration = Math.max(0, end - activity.createdMs) / 1000;
    return { currentUsage: [duration, activity.cpuMs / 1000], timestamp: Math.floor(Date.now() / 1000) };
  }

  /** Claims the debit notes due at `nowMs` (DebitNoting issues them): each is claimed by one caller only. */
  async claimDueDebitNotes(nowMs: number, limit: number): Promise<DueDebitNote[]> {
    const { keys } = this.core;
    return this.core.scripts.call(
      debitNotesDueScript,
      { debitNotesDue: keys.activityDebitNotesDue() },
      { activityPrefix: keys.activityPrefix(), nowMs, limit },
    );
  }

  /**
   * Ends every live activity of a terminated agreement (their runners then remove the workspaces); returns the CPU
   * seconds runners reported for all of them (for its final invoice).
   */
  async endOfAgreement(agreementId: string, providerId: string): Promise<number> {
    const { keys, redis } = this.core;
    const ids = await redis.smembers(keys.agreementActivities(agreementId));
    if (ids.length === 0) return 0;
    const values = await Promise.all(ids.map((id) => redis.hget(keys.activity(id), 'cpuMs')));
    for (const id of ids) await this.end(id, providerId, 'the agreement was terminated');
    return values.reduce((sum, value) => sum + (Number(value) || 0), 0) / 1000;
  }

  /** Terminated with `reason`; a runner holding the activity is told at once through its claim queue. */
  private end(id: string, provider: string, reason: string): Promise<'ok' | 'notfound' | 'terminated'> {
    const { keys } = this.core;
    const queue = keys.activityQueue(provider);
    return this.core.scripts.call(
      destroyScript,
      { activity: keys.activity(id), leases: keys.activityLeases(), queue },
      {
        id,
        nowMs: Date.now(),
        reason,
        activityWake: keys.wakeChannel(keys.activity(id)),
        queueWake: keys.wakeChannel(queue),
      },
    );
  }

  async agreementOf(caller: string, id: string): Promise<string> {
    return (await this.load(caller, id)).agreementId;
  }

  /** destroyActivity: Terminated; the runner holding it removes its workspace. 410 when it had already ended. */
  async destroy(caller: string, id: string, reason = 'destroyed by the requestor'): Promise<void> {
    const activity = await this.load(caller, id);
    const code = await this.end(id, activity.providerId, reason);
    if (code === 'notfound') throw new NotFound(`Activity [${id}] not found.`);
    if (code === 'terminated') throw new Gone(`Activity [${id}] is already terminated.`);
  }
}

import type Redis from 'ioredis';
import type { Core, Lifecycle } from '../../kernel/core';
import { StreamReader } from '../../kernel/loops';
import { ConstraintCache, SubscriptionIndex, type Matchable } from '../constraints';
import { isLive, parseStreamEntry, type SubscriptionKind, type SubscriptionRecord } from './record';
import type { Subscriptions } from './service';

/** What the matcher does with a pair: create its Initial proposal (idempotently; negotiation owns proposals). */
export interface InitialProposals {
  createInitial(demandId: string, offerId: string): Promise<unknown>;
}

/** Entries read from the stream per round trip, and Initial proposals created concurrently. */
const READ_BATCH = 500;
const CREATE_CONCURRENCY = 200;
/**
 * The first pairs of a new subscription are written as a small batch of their own: the collect they wake reads on
 * the same connection, so it then waits behind at most one batch instead of all the matches.
 */
const FIRST_CREATE_BATCH = 8;
const READ_BLOCK_MS = 1000;

interface Indexed {
  compiled: Matchable;
  kind: SubscriptionKind;
  owner: string;
  /** Stream position: a pair is matched when the later of the two is read. */
  seq: string;
  expiresAt: number;
}

/** Orders stream ids (`<ms>-<n>`). */
export function compareStreamIds(a: string, b: string): number {
  const [am, an] = a.split('-').map(Number);
  const [bm, bn] = b.split('-').map(Number);
  return am !== bm ? am - bm : an - bn;
}

/**
 * Pairs demands and offers. Every instance tails the subscription stream on its own connection and keeps
 * an index of the active subscriptions; a subscription read at position p is matched against the indexed counterparts
 * before p, so each pair is considered when its later member is read. Every instance does this, and the Initial
 * proposal's id is derived from the pair, so the proposal (and its one event) exists once whoever gets there first.
 */
export class Matcher implements Lifecycle {
  private readonly indexes: Record<SubscriptionKind, SubscriptionIndex> = {
    demand: new SubscriptionIndex(),
    offer: new SubscriptionIndex(),
  };
  private readonly entries = new Map<string, Indexed>();
  /** Subscriptions with the same constraint text share one compiled predicate. */
  private readonly constraints = new ConstraintCache();
  private readonly reader: StreamReader;
  private cursor = '0-0';

  constructor(
    private readonly core: Core,
    private readonly subscriptions: Subscriptions,
    private readonly proposals: InitialProposals,
  ) {
    this.reader = new StreamReader('matcher', core.redis, (connection) => this.step(connection), core.log);
  }

  get size(): number {
    return this.entries.size;
  }

  async start(): Promise<void> {
    await this.bootstrap();
    await this.reader.start();
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  /**
   * Loads the active subscriptions and continues the stream from the last position some instance finished matching
   * (or, for a new market, from where the stream ended before loading), so nothing written in between, nor anything
   * a crashed instance had not matched yet, is missed. An entry read twice is harmless: indexing is by id and
   * proposal creation is idempotent.
   */
  private async bootstrap(): Promise<void> {
    const { redis, keys } = this.core;
    const [matched, last] = await Promise.all([
      redis.get(keys.matcherCursor()),
      redis.xrevrange(keys.subscriptionStream(), '+', '-', 'COUNT', 1),
    ]);
    this.cursor = matched ?? last[0]?.[0] ?? '0-0';
    const now = Date.now();
    for (const kind of ['demand', 'offer'] as const) {
      const ids = await redis.zrangebyscore(keys.activeSubscriptions(kind), now, '+inf');
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        for (const record of await this.subscriptions.getMany(ids.slice(i, i + READ_BATCH))) {
          if (record && isLive(record, now)) this.add(record);
        }
      }
    }
  }

  /** One blocking read of the stream; the cursor advances only after the whole batch is done (else it is re-read). */
  private async step(connection: Redis): Promise<void> {
    const reply = (await connection.xread(
      'COUNT',
      READ_BATCH,
      'BLOCK',
      READ_BLOCK_MS,
      'STREAMS',
      this.core.keys.subscriptionStream(),
      this.cursor,
    )) as Array<[string, Array<[string, string[]]>]> | null;
    const batch = reply?.[0]?.[1] ?? [];
    if (batch.length === 0) return;
    await this.process(batch);
    this.cursor = batch[batch.length - 1][0];
    // A lagging instance may move it back; that only means some entries get matched again after a restart.
    await this.core.redis.set(this.core.keys.matcherCursor(), this.cursor);
  }

  private async process(batch: Array<[string, string[]]>): Promise<void> {
    const entries = batch.map(([seq, fields]) => ({ seq, ...parseStreamEntry(fields) }));
    const records = await this.subscriptions.getMany(entries.filter((e) => e.op === 'sub').map((e) => e.id));
    const byId = new Map(records.filter((r): r is SubscriptionRecord => r !== undefined).map((r) => [r.id, r]));
    for (const entry of entries) {
      const record = byId.get(entry.id);
      if (entry.op !== 'sub' || !record || !isLive(record)) {
        this.remove(entry.id);
        continue;
      }
      const indexed = this.add(record);
      if (indexed) await this.matchEarlier(indexed, entry.seq);
    }
  }

  /** Creates the Initial proposal of every pair of `subscription` with an indexed counterpart that came before it. */
  private async matchEarlier(subscription: Indexed, seq: string): Promise<void> {
    const other: SubscriptionKind = subscription.kind === 'demand' ? 'offer' : 'demand';
    const now = Date.now();
    const pairs: Array<[string, string]> = [];
    for (const candidate of this.indexes[other].matchAll(subscription.compiled)) {
      const counterpart = this.entries.get(candidate.id);
      if (!counterpart || counterpart.owner === subscription.owner || counterpart.expiresAt <= now) continue;
      if (compareStreamIds(counterpart.seq, seq) >= 0) continue;
      pairs.push(
        subscription.kind === 'demand'
          ? [subscription.compiled.id, candidate.id]
          : [candidate.id, subscription.compiled.id],
      );
    }
    for (let i = 0; i < pairs.length;) {
      const size = i === 0 ? FIRST_CREATE_BATCH : CREATE_CONCURRENCY;
      await Promise.all(
        pairs.slice(i, i + size).map(([demandId, offerId]) => this.proposals.createInitial(demandId, offerId)),
      );
      i += size;
    }
  }

  /** Indexes a subscription (once); undefined if its stored constraints no longer compile (it can never match). */
  private add(record: SubscriptionRecord): Indexed | undefined {
    const existing = this.entries.get(record.id);
    if (existing) return existing;
    let compiled: Matchable;
    try {
      // Only what matching needs stays in memory (the record in Redis keeps the rest).
      compiled = this.constraints.matchable({
        id: record.id,
        properties: JSON.parse(record.properties),
        constraints: record.constraints,
      });
    } catch (err) {
      this.core.log.warn({ err, subscription: record.id }, 'matcher: stored subscription does not compile; skipped');
      return undefined;
    }
    const indexed: Indexed = {
      compiled,
      kind: record.kind,
      owner: record.owner,
      seq: record.seq,
      expiresAt: record.expiresAt,
    };
    this.entries.set(record.id, indexed);
    this.indexes[record.kind].add(compiled);
    return indexed;
  }

  private remove(id: string): void {
    const indexed = this.entries.get(id);
    if (!indexed) return;
    this.entries.delete(id);
    this.indexes[indexed.kind].remove(id);
  }
}

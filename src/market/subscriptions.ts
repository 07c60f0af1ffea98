import type { Core } from '../kernel/core';
import { Invalid, Gone, NotFound } from '../kernel/errors';
import { compileSubscription, ConstraintParseError, type CompiledSubscription } from './constraints';
import { newSubscriptionId } from './ids';
import { MARKET_RETENTION_MS } from './limits';
import type { DemandOfferBase } from '../types/schemas';
export type { DemandOfferBase };

export type SubscriptionKind = 'demand' | 'offer';

/**
 * A demand or offer as stored at `keys.subscription(id)` (a contract other modules read).
 * `properties` is the JSON text of the flat, key-sorted map; `seq` is its position in the subscription stream.
 */
export interface SubscriptionRecord {
  id: string;
  kind: SubscriptionKind;
  owner: string;
  properties: string;
  constraints: string;
  createdAt: number;
  expiresAt: number;
  state: 'active' | 'unsubscribed';
  seq: string;
}

export function parseSubscriptionRecord(hash: Record<string, string>): SubscriptionRecord | undefined {
  if (!hash.id) return undefined;
  return {
    id: hash.id,
    kind: hash.kind as SubscriptionKind,
    owner: hash.owner,
    properties: hash.properties,
    constraints: hash.constraints,
    createdAt: Number(hash.createdAt),
    expiresAt: Number(hash.expiresAt),
    state: hash.state as SubscriptionRecord['state'],
    seq: hash.seq,
  };
}

/** A subscription stream entry: 'sub' when a subscription starts, 'end' when it is unsubscribed or expires. */
export interface StreamEntry {
  op: 'sub' | 'end';
  id: string;
  kind: SubscriptionKind;
}

export function parseStreamEntry(fields: string[]): StreamEntry {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  return { op: map.op as StreamEntry['op'], id: map.id, kind: map.kind as SubscriptionKind };
}

export function isLive(record: SubscriptionRecord, now = Date.now()): boolean {
  return record.state === 'active' && record.expiresAt > now;
}

/** Compiles what a client posted; an unparsable constraint is a 400 carrying the parser's positioned message. */
export function compileBody(id: string, body: DemandOfferBase): CompiledSubscription {
  try {
    return compileSubscription({ id, properties: body.properties, constraints: body.constraints });
  } catch (err) {
    if (err instanceof ConstraintParseError) throw new Invalid(err.message);
    throw err;
  }
}

const KIND_NAME: Record<SubscriptionKind, string> = { demand: 'Demand', offer: 'Offer' };

/** Demands and offers: subscribe, list, unsubscribe, and the expiry sweep (golem-market-api.md §4.1). */
export class Subscriptions {
  constructor(private readonly core: Core) {}

  private get ttlMs(): number {
    return this.core.config.subscriptionTtlSeconds * 1000;
  }

  /** Stream entries older than a subscription's lifetime only concern expired subscriptions: trim them. */
  private oldestStreamId(now: number): string {
    return `${Math.max(0, now - this.ttlMs - MARKET_RETENTION_MS)}-0`;
  }

  async subscribe(kind: SubscriptionKind, owner: string, body: DemandOfferBase): Promise<SubscriptionRecord> {
    const { keys } = this.core;
    const createdAt = Date.now();
    const expiresAt = createdAt + this.ttlMs;
    const compiled = compileBody('', body);
    const properties = JSON.stringify(compiled.flatProperties);
    const id = newSubscriptionId([properties, body.constraints, owner, String(createdAt), String(expiresAt)]);
    const seq = await this.core.scripts.run<string>(
      'subscription_create',
      [
        keys.subscription(id),
        keys.activeSubscriptions(kind),
        keys.ownerSubscriptions(owner, kind),
        keys.subscriptionStream(),
      ],
      [
        id,
        kind,
        owner,
        properties,
        body.constraints,
        createdAt,
        expiresAt,
        expiresAt + MARKET_RETENTION_MS,
        this.oldestStreamId(createdAt),
        keys.wakeChannel(keys.subscriptionStream()),
      ],
    );
    return { id, kind, owner, properties, constraints: body.constraints, createdAt, expiresAt, state: 'active', seq };
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    return parseSubscriptionRecord(await this.core.redis.hgetall(this.core.keys.subscription(id)));
  }

  async getMany(ids: string[]): Promise<Array<SubscriptionRecord | undefined>> {
    if (ids.length === 0) return [];
    const pipeline = this.core.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.core.keys.subscription(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, hash]) => {
      if (err) throw err;
      return parseSubscriptionRecord(hash as Record<string, string>);
    });
  }

  /** The owner's live subscriptions of one kind, oldest first. */
  async list(kind: SubscriptionKind, owner: string): Promise<SubscriptionRecord[]> {
    const ids = await this.core.redis.zrange(this.core.keys.ownerSubscriptions(owner, kind), '0', '-1');
    const now = Date.now();
    return (await this.getMany(ids)).filter(
      (r): r is SubscriptionRecord => r !== undefined && r.kind === kind && isLive(r, now),
    );
  }

  /**
   * Ends the owner's subscription: its waiting collects end with 404, its queues are deleted, every matcher drops it.
   * Another identity's subscription is "not found" and nothing changes.
   */
  async unsubscribe(kind: SubscriptionKind, id: string, caller: string): Promise<void> {
    const outcome = await this.end(kind, id, 'unsubscribe', caller);
    if (outcome === 'ok') return;
    const name = KIND_NAME[kind];
    // yagna: a demand is gone after unsubscribe (404 every time); an offer keeps an "unsubscribed" marker (410).
    if (kind === 'demand' || outcome === 'missing') throw new NotFound(`${name} [${id}] not found.`);
    if (outcome === 'unsubscribed') throw new Gone(`${name} [${id}] already unsubscribed.`);
    throw new Gone(`Can't unsubscribe expired ${name} [${id}].`);
  }

  private async end(
    kind: SubscriptionKind,
    id: string,
    mode: 'unsubscribe' | 'expire',
    caller: string,
    owner = caller,
  ): Promise<string> {
    const { keys } = this.core;
    const now = Date.now();
    return this.core.scripts.run<string>(
      'subscription_end',
      [
        keys.subscription(id),
        keys.activeSubscriptions(kind),
        keys.ownerSubscriptions(owner, kind),
        keys.negotiationEvents(id),
        keys.negotiationNotices(id),
        keys.subscriptionStream(),
      ],
      [id, mode, caller, kind, now, keys.wakeChannel(keys.negotiationEvents(id)), this.oldestStreamId(now)],
    );
  }

  /**
   * Ends every subscription whose lifetime is over (any instance may run this; each end happens once). Returns how
   * many.
   */
  async sweepExpired(batch = 500): Promise<number> {
    let ended = 0;
    for (const kind of ['demand', 'offer'] as const) {
      const ids = await this.core.redis.zrangebyscore(
        this.core.keys.activeSubscriptions(kind),
        '-inf',
        Date.now(),
        'LIMIT',
        0,
        batch,
      );
      const records = await this.getMany(ids);
      for (let i = 0; i < ids.length; i++) {
        // A record purged before the sweep still leaves its active-set entry to remove.
        if ((await this.end(kind, ids[i], 'expire', '', records[i]?.owner ?? '')) === 'ok') ended++;
      }
    }
    return ended;
  }
}

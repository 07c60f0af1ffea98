import type { Logger } from 'pino';
import { ConstraintCache, SubscriptionIndex, type Matchable } from '../constraints';
import type { SubscriptionKind, SubscriptionRecord } from './record';

/** A subscription as matching needs it; only what matching needs stays in memory (the record in Redis has the rest). */
export interface Compiled {
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

/** A demand/offer pair as [demandId, offerId]. */
export type Pair = [string, string];

/** The subscriptions one instance owns, indexed for matching, and the pairs a subscription forms with them. */
export class Shard {
  private readonly indexes: Record<SubscriptionKind, SubscriptionIndex> = {
    demand: new SubscriptionIndex(),
    offer: new SubscriptionIndex(),
  };
  private readonly entries = new Map<string, Compiled>();
  /** Subscriptions with the same constraint text share one compiled predicate. */
  private readonly constraints = new ConstraintCache();

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.entries.size;
  }

  /** How many subscriptions of one kind it holds. */
  count(kind: SubscriptionKind): number {
    return this.indexes[kind].size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** A record compiled for matching (indexed or not); undefined if its stored constraints no longer compile. */
  compile(record: SubscriptionRecord): Compiled | undefined {
    const indexed = this.entries.get(record.id);
    if (indexed) return indexed;
    try {
      const compiled = this.constraints.matchable({
        id: record.id,
        properties: JSON.parse(record.properties),
        constraints: record.constraints,
      });
      return { compiled, kind: record.kind, owner: record.owner, seq: record.seq, expiresAt: record.expiresAt };
    } catch (err) {
      this.log.warn({ err, subscription: record.id }, 'matcher: stored subscription does not compile; skipped');
      return undefined;
    }
  }

  /** Indexes a subscription (once). */
  add(subscription: Compiled): void {
    if (this.entries.has(subscription.compiled.id)) return;
    this.entries.set(subscription.compiled.id, subscription);
    this.indexes[subscription.kind].add(subscription.compiled);
  }

  remove(id: string): void {
    const indexed = this.entries.get(id);
    if (!indexed) return;
    this.entries.delete(id);
    this.indexes[indexed.kind].remove(id);
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.remove(id);
  }

  /** Every pair of `subscription` (at stream position `seq`) with a live indexed counterpart that came before it. */
  pairsWith(subscription: Compiled, seq: string): Pair[] {
    const other: SubscriptionKind = subscription.kind === 'demand' ? 'offer' : 'demand';
    const now = Date.now();
    const pairs: Pair[] = [];
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
    return pairs;
  }
}

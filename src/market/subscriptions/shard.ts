import type { Logger } from 'pino';
import { ConstraintCache, matchesYes, SubscriptionIndex, type Matchable } from '../constraints';
import type { SubscriptionKind, SubscriptionRecord } from './record';

/**
 * A subscription as matching needs it; only what matching needs stays in memory (the record in Redis has the rest).
 * It is itself what the index holds, so a candidate the index finds carries its owner, position and expiry: no
 * second lookup per candidate (a Map of 100k ids cost about 1.5 µs a lookup in cache misses).
 */
export interface Compiled extends Matchable {
  kind: SubscriptionKind;
  owner: string;
  /** Stream position: a pair is matched when the later of the two is read. */
  seq: string;
  expiresAt: number;
}

/** Orders stream ids (`<ms>-<n>`); runs for every candidate of a match, so without splitting into arrays. */
export function compareStreamIds(a: string, b: string): number {
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  const byMs = Number(a.slice(0, aDash)) - Number(b.slice(0, bDash));
  return byMs !== 0 ? byMs : Number(a.slice(aDash + 1)) - Number(b.slice(bDash + 1));
}

/** A demand/offer pair as [demandId, offerId]. */
export type Pair = [string, string];

/**
 * The pairs of one subscription, found as they are taken: the writer takes a first few and writes them before the
 * rest is even evaluated, so a demand with hundreds of matches shows its first events after a handful of match
 * evaluations, not all of them (about 3 ms of them at 1,000 candidates).
 */
export interface PairSource {
  /** Up to `n` more pairs; fewer only when the source is exhausted. */
  take(n: number): Pair[];
  /** Candidates not evaluated yet: an upper bound on the pairs still to come. */
  readonly left: number;
}

/**
 * The counterparts are fixed when the subscription is read (the shard may change before the last pair is taken), and
 * what is left to decide, the two-way match of compiled and immutable subscriptions, is a pure function: taken later,
 * the pairs are exactly those an immediate evaluation would have found.
 */
class MatchingPairs implements PairSource {
  private next = 0;

  constructor(
    private readonly subscription: Compiled,
    private readonly counterparts: Compiled[],
  ) {}

  get left(): number {
    return this.counterparts.length - this.next;
  }

  take(n: number): Pair[] {
    const pairs: Pair[] = [];
    const subscription = this.subscription;
    while (pairs.length < n && this.next < this.counterparts.length) {
      const counterpart = this.counterparts[this.next++];
      if (!matchesYes(subscription, counterpart)) continue;
      pairs.push(
        subscription.kind === 'demand' ? [subscription.id, counterpart.id] : [counterpart.id, subscription.id],
      );
    }
    return pairs;
  }
}

/** The subscriptions one instance owns, indexed for matching, and the pairs a subscription forms with them. */
export class Shard {
  private readonly indexes: Record<SubscriptionKind, SubscriptionIndex<Compiled>> = {
    demand: new SubscriptionIndex<Compiled>(),
    offer: new SubscriptionIndex<Compiled>(),
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
      const { id, properties, predicate, requiredEqualities } = this.constraints.matchable({
        id: record.id,
        properties: JSON.parse(record.properties),
        constraints: record.constraints,
      });
      const { kind, owner, seq, expiresAt } = record;
      return { id, properties, predicate, requiredEqualities, kind, owner, seq, expiresAt };
    } catch (err) {
      this.log.warn({ err, subscription: record.id }, 'matcher: stored subscription does not compile; skipped');
      return undefined;
    }
  }

  /** Indexes a subscription (once). */
  add(subscription: Compiled): void {
    if (this.entries.has(subscription.id)) return;
    this.entries.set(subscription.id, subscription);
    this.indexes[subscription.kind].add(subscription);
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

  /**
   * Every pair of `subscription` (at stream position `seq`) with a live indexed counterpart that came before it,
   * evaluated as they are taken (see MatchingPairs).
   */
  pairsWith(subscription: Compiled, seq: string): PairSource {
    const other: SubscriptionKind = subscription.kind === 'demand' ? 'offer' : 'demand';
    const now = Date.now();
    const counterparts: Compiled[] = [];
    for (const counterpart of this.indexes[other].candidates(subscription)) {
      if (counterpart.owner === subscription.owner || counterpart.expiresAt <= now) continue;
      if (compareStreamIds(counterpart.seq, seq) >= 0) continue;
      counterparts.push(counterpart);
    }
    return new MatchingPairs(subscription, counterparts);
  }
}

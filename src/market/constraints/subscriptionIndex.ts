/**
 * Active subscriptions of one side (all offers, or all demands), indexed so that matching a new
 * subscription of the other side looks at a small candidate set instead of scanning everything.
 *
 * Each of these is a superset of the Yes matches:
 * - own side: each indexed subscription is filed under one of its required equalities; those whose
 *   requirement the new subscription's properties meet, plus those with no requirement;
 * - other side, once per required equality of the new subscription: the indexed subscriptions holding
 *   a value that meets it, from an inverted index of property values built lazily per name asked for.
 * `candidates` returns the smallest of them. Intersecting them as well was measured to cost more
 * (Set lookups in postings of up to N entries) than the match it saves, since `match` stops at the
 * first failing equality anyway. `matchAll` then runs the real match, so its result equals a full
 * scan's (property-tested).
 */
import { literalTokens, type RequiredEquality } from './equalities';
import { matchesYes, type Matchable } from './match';

/** name → token → subscriptions */
type Postings = Map<string, Map<string, Set<Matchable>>>;

export class SubscriptionIndex {
  private readonly entries = new Map<string, { subscription: Matchable; key: RequiredEquality | null }>();
  /** Subscriptions without a required equality: candidates for everything, as far as their own side goes. */
  private readonly unkeyed = new Set<Matchable>();
  /** Each keyed subscription, under every token of its chosen requirement. */
  private readonly byRequirement: Postings = new Map();
  /** Inverted index of property values, for the names queries have asked about (at most `maxIndexedNames`). */
  private readonly byProperty: Postings = new Map();

  /** `maxIndexedNames` bounds the memory arbitrary constraint names can make the inverted index take. */
  constructor(private readonly maxIndexedNames = 256) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Adds a subscription, replacing one with the same id. */
  add(subscription: Matchable): void {
    this.remove(subscription.id);
    const key = this.chooseKey(subscription.requiredEqualities);
    this.entries.set(subscription.id, { subscription, key });
    if (key === null) this.unkeyed.add(subscription);
    else for (const token of key.tokens) addPosting(this.byRequirement, key.name, token, subscription);
    this.updatePropertyPostings(subscription, addPosting);
  }

  remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    const { subscription, key } = entry;
    this.entries.delete(id);
    if (key === null) this.unkeyed.delete(subscription);
    else {
      for (const token of key.tokens) deletePosting(this.byRequirement, key.name, token, subscription);
      if (this.byRequirement.get(key.name)?.size === 0) this.byRequirement.delete(key.name);
    }
    this.updatePropertyPostings(subscription, deletePosting);
    return true;
  }

  /** Indexed subscriptions that may match `other` (a superset of those that do), in no particular order. */
  candidates(other: Matchable): Matchable[] {
    let best = this.ownSideCandidates(other);
    for (const requirement of other.requiredEqualities) {
      const byToken = this.propertyPostings(requirement.name);
      if (byToken === undefined) continue; // name cap reached: this pruning is unavailable
      const sets = requirement.tokens.flatMap((token) => byToken.get(token) ?? []);
      if (totalSize(sets) < totalSize(best)) best = sets;
    }
    if (best.length === 1) return [...best[0]];
    const result = new Set<Matchable>(); // a subscription may sit under several tokens
    for (const set of best) for (const subscription of set) result.add(subscription);
    return [...result];
  }

  /** Indexed subscriptions whose match with `other` is Yes. */
  matchAll(other: Matchable): Matchable[] {
    return this.candidates(other).filter((subscription) => matchesYes(other, subscription));
  }

  /** Those with no requirement, and those filed under a token that `other`'s properties yield. */
  private ownSideCandidates(other: Matchable): ReadonlySet<Matchable>[] {
    const sets: ReadonlySet<Matchable>[] = [this.unkeyed];
    for (const [name, byToken] of this.byRequirement) {
      const literal = other.properties.get(name);
      if (literal === undefined) continue;
      for (const token of new Set(literalTokens(literal))) {
        const set = byToken.get(token);
        if (set !== undefined) sets.push(set);
      }
    }
    return sets;
  }

  /** The requirement whose postings are currently smallest, so keys spread over selective values. */
  private chooseKey(requirements: readonly RequiredEquality[]): RequiredEquality | null {
    let best: RequiredEquality | null = null;
    let bestSize = Infinity;
    for (const requirement of requirements) {
      const byToken = this.byRequirement.get(requirement.name);
      const size = requirement.tokens.reduce((sum, token) => sum + (byToken?.get(token)?.size ?? 0), 0);
      if (size < bestSize) [best, bestSize] = [requirement, size];
    }
    return best;
  }

  /** The inverted index of `name`, built by one scan the first time a query needs it. */
  private propertyPostings(name: string): Map<string, Set<Matchable>> | undefined {
    let byToken = this.byProperty.get(name);
    if (byToken === undefined && this.byProperty.size < this.maxIndexedNames) {
      this.byProperty.set(name, (byToken = new Map()));
      for (const { subscription } of this.entries.values()) this.updatePropertyPosting(name, subscription, addPosting);
    }
    return byToken;
  }

  private updatePropertyPostings(subscription: Matchable, update: typeof addPosting): void {
    for (const name of this.byProperty.keys()) this.updatePropertyPosting(name, subscription, update);
  }

  private updatePropertyPosting(name: string, subscription: Matchable, update: typeof addPosting): void {
    const literal = subscription.properties.get(name);
    if (literal === undefined) return;
    for (const token of literalTokens(literal)) update(this.byProperty, name, token, subscription);
  }
}

function addPosting(postings: Postings, name: string, token: string, subscription: Matchable): void {
  let byToken = postings.get(name);
  if (byToken === undefined) postings.set(name, (byToken = new Map()));
  let set = byToken.get(token);
  if (set === undefined) byToken.set(token, (set = new Set()));
  set.add(subscription);
}

/** Drops emptied sets so churn does not leak (the caller decides about an emptied name). */
function deletePosting(postings: Postings, name: string, token: string, subscription: Matchable): void {
  const byToken = postings.get(name);
  const set = byToken?.get(token);
  if (byToken === undefined || set === undefined) return;
  set.delete(subscription);
  if (set.size === 0) byToken.delete(token);
}

function totalSize(sets: readonly ReadonlySet<unknown>[]): number {
  return sets.reduce((sum, set) => sum + set.size, 0);
}

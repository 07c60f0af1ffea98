/**
 * Active subscriptions of one side (all offers, or all demands), indexed so that matching a new
 * subscription of the other side looks at a small candidate set instead of scanning everything.
 *
 * Each of these is a superset of the Yes matches:
 * - own side: each indexed subscription is filed under one of its required equalities; those whose
 *   requirement the new subscription's properties meet, plus those with no requirement;
 * - other side, once per required equality of the new subscription: the indexed subscriptions holding
 *   a value that meets it, from an inverted index of property values. That index is kept up to date as
 *   subscriptions come, for every name (up to a cap) whose values repeat, so the first query after a start
 *   does not pay for building it; a name with nearly unique values (ids, counters) is built only when asked.
 * `candidates` returns the smallest of them. Intersecting them as well was measured to cost more
 * (Set lookups in postings of up to N entries) than the match it saves, since `match` stops at the
 * first failing equality anyway. `matchAll` then runs the real match, so its result equals a full
 * scan's (property-tested).
 */
import { literalTokens, type RequiredEquality } from './equalities';
import { matchesYes, type Matchable } from './match';

/** name → token → subscriptions */
type Postings<T> = Map<string, Map<string, Set<T>>>;

/** What a query finds under a name no indexed subscription has. */
const NO_POSTINGS: ReadonlyMap<string, Set<never>> = new Map();
/** A name with more distinct values than this, and than a quarter of the subscriptions, is indexed only on demand. */
const EAGER_MAX_VALUES = 1024;

/** `T`: what is indexed, a Matchable with whatever else its owner keeps with it (returned as indexed). */
export class SubscriptionIndex<T extends Matchable = Matchable> {
  private readonly entries = new Map<string, { subscription: T; key: RequiredEquality | null }>();
  /** Subscriptions without a required equality: candidates for everything, as far as their own side goes. */
  private readonly unkeyed = new Set<T>();
  /** Each keyed subscription, under every token of its chosen requirement. */
  private readonly byRequirement: Postings<T> = new Map();
  /** Inverted index of property values: names kept eagerly, and names built because a query asked for them. */
  private readonly byProperty: Postings<T> = new Map();
  /** How many names of `byProperty` are kept eagerly (each kind is capped at `maxIndexedNames`). */
  private eagerNames = 0;
  /** Names some subscription has that are not kept eagerly (too many values, or past the cap). */
  private readonly lazyNames = new Set<string>();
  /** Names built because a query asked for them: kept whatever their values. */
  private readonly askedNames = new Set<string>();

  /** `maxIndexedNames` bounds the memory arbitrary property and constraint names can make the inverted index take. */
  constructor(private readonly maxIndexedNames = 256) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Adds a subscription, replacing one with the same id. */
  add(subscription: T): void {
    this.remove(subscription.id);
    const key = this.chooseKey(subscription.requiredEqualities);
    this.entries.set(subscription.id, { subscription, key });
    if (key === null) this.unkeyed.add(subscription);
    else for (const token of key.tokens) addPosting(this.byRequirement, key.name, token, subscription);
    for (const [name, literal] of subscription.properties) {
      let byToken = this.byProperty.get(name);
      if (byToken === undefined) {
        if (this.lazyNames.has(name)) continue;
        if (this.eagerNames >= this.maxIndexedNames) {
          this.lazyNames.add(name);
          continue;
        }
        this.byProperty.set(name, (byToken = new Map()));
        this.eagerNames++;
      }
      for (const token of literalTokens(literal)) addPosting(this.byProperty, name, token, subscription);
      if (byToken.size > EAGER_MAX_VALUES && byToken.size * 4 > this.entries.size && !this.askedNames.has(name)) {
        this.byProperty.delete(name);
        this.eagerNames--;
        this.lazyNames.add(name);
      }
    }
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
    for (const [name, literal] of subscription.properties) {
      if (!this.byProperty.has(name)) continue;
      for (const token of literalTokens(literal)) deletePosting(this.byProperty, name, token, subscription);
    }
    return true;
  }

  /** Indexed subscriptions that may match `other` (a superset of those that do), in no particular order. */
  candidates(other: Matchable): T[] {
    let best = this.ownSideCandidates(other);
    for (const requirement of other.requiredEqualities) {
      const byToken = this.propertyPostings(requirement.name);
      if (byToken === undefined) continue; // name cap reached: this pruning is unavailable
      const sets = requirement.tokens.flatMap((token) => byToken.get(token) ?? []);
      if (totalSize(sets) < totalSize(best)) best = sets;
    }
    if (best.length === 1) return [...best[0]];
    const result = new Set<T>(); // a subscription may sit under several tokens
    for (const set of best) for (const subscription of set) result.add(subscription);
    return [...result];
  }

  /** Indexed subscriptions whose match with `other` is Yes. */
  matchAll(other: Matchable): T[] {
    return this.candidates(other).filter((subscription) => matchesYes(other, subscription));
  }

  /** Those with no requirement, and those filed under a token that `other`'s properties yield. */
  private ownSideCandidates(other: Matchable): ReadonlySet<T>[] {
    const sets: ReadonlySet<T>[] = [this.unkeyed];
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

  /**
   * The inverted index of `name`: kept already, empty when no indexed subscription has the name, else built by one
   * scan the first time a query needs it; undefined when the cap leaves it unavailable.
   */
  private propertyPostings(name: string): ReadonlyMap<string, Set<T>> | undefined {
    const kept = this.byProperty.get(name);
    if (kept !== undefined) return kept;
    if (!this.lazyNames.has(name)) return NO_POSTINGS;
    if (this.askedNames.size >= this.maxIndexedNames) return undefined;
    this.askedNames.add(name);
    const byToken = new Map<string, Set<T>>();
    this.byProperty.set(name, byToken);
    for (const { subscription } of this.entries.values()) {
      const literal = subscription.properties.get(name);
      if (literal === undefined) continue;
      for (const token of literalTokens(literal)) addPosting(this.byProperty, name, token, subscription);
    }
    return byToken;
  }
}

function addPosting<T>(postings: Postings<T>, name: string, token: string, subscription: T): void {
  let byToken = postings.get(name);
  if (byToken === undefined) postings.set(name, (byToken = new Map()));
  let set = byToken.get(token);
  if (set === undefined) byToken.set(token, (set = new Set()));
  set.add(subscription);
}

/** Drops emptied sets so churn does not leak (the caller decides about an emptied name). */
function deletePosting<T>(postings: Postings<T>, name: string, token: string, subscription: T): void {
  const byToken = postings.get(name);
  const set = byToken?.get(token);
  if (byToken === undefined || set === undefined) return;
  set.delete(subscription);
  if (set.size === 0) byToken.delete(token);
}

function totalSize(sets: readonly ReadonlySet<unknown>[]): number {
  return sets.reduce((sum, set) => sum + set.size, 0);
}

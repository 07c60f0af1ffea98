/** Two-way matching of a demand with an offer (golem-market-api.md §5.4), over pre-compiled subscriptions. */
import type { ConstraintNode } from './ast';
import { compile, type Predicate } from './compile';
import { requiredEqualities, type RequiredEquality } from './equalities';
import { flattenProperties } from './flatten';
import { parseConstraints } from './parser';
import { Tri } from './tri';
import { toTypedProperties, type TypedProperties } from './typedProperties';

export type MatchResult = 'Yes' | 'No' | 'Undefined';

export interface SubscriptionSource {
  readonly id: string;
  /** Flat, nested or mixed JSON, as posted. */
  readonly properties: unknown;
  readonly constraints: string;
}

/** A demand or offer with everything matching needs computed once. */
export interface CompiledSubscription {
  readonly id: string;
  /** The flat form that is stored and echoed back. */
  readonly flatProperties: Readonly<Record<string, unknown>>;
  readonly properties: TypedProperties;
  readonly constraint: ConstraintNode;
  readonly predicate: Predicate;
  /** What `predicate` needs of the other side's properties to be TRUE (used by `SubscriptionIndex`). */
  readonly requiredEqualities: readonly RequiredEquality[];
}

/**
 * What matching needs of a subscription, and all an index keeps: the flat properties (kept for storing and echoing)
 * and the constraint tree (the predicate is compiled from it) are left behind, about half a subscription's heap.
 */
export type Matchable = Pick<CompiledSubscription, 'id' | 'properties' | 'predicate' | 'requiredEqualities'>;

export function toMatchable({ id, properties, predicate, requiredEqualities }: Matchable): Matchable {
  return { id, properties, predicate, requiredEqualities };
}

/** @throws ConstraintParseError when the constraints do not parse (the caller answers 400). */
export function compileSubscription({ id, properties, constraints }: SubscriptionSource): CompiledSubscription {
  const constraint = parseConstraints(constraints);
  const flatProperties = flattenProperties(properties);
  return {
    id,
    flatProperties,
    properties: toTypedProperties(flatProperties),
    constraint,
    predicate: compile(constraint),
    requiredEqualities: requiredEqualities(constraint),
  };
}

/**
 * Undefined if either side's constraints are UNDEFINED on the other's properties (even if the other
 * side is FALSE), Yes if both are TRUE, otherwise No. Symmetric: `match(a, b) === match(b, a)`.
 */
export function match(demand: Matchable, offer: Matchable): MatchResult {
  const demandSide = demand.predicate(offer.properties);
  const offerSide = offer.predicate(demand.properties);
  if (demandSide === Tri.UNDEFINED || offerSide === Tri.UNDEFINED) return 'Undefined';
  return demandSide === Tri.TRUE && offerSide === Tri.TRUE ? 'Yes' : 'No';
}

/** `match(a, b) === 'Yes'`, stopping at the first side that is not TRUE (all a matcher needs). */
export function matchesYes(a: Matchable, b: Matchable): boolean {
  return a.predicate(b.properties) === Tri.TRUE && b.predicate(a.properties) === Tri.TRUE;
}

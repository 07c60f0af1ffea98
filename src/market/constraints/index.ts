/** The constraint language and two-way matcher: a pure library (no I/O). */
export type {
  AndNode,
  CompareNode,
  ComparisonOperator,
  ConstraintNode,
  EmptyNode,
  NotNode,
  OrNode,
  PresentNode,
  PropertyRef,
  ValueType,
} from './ast';
export { compile, type Predicate } from './compile';
export { ConstraintCache } from './constraintCache';
export { requiredEqualities, type RequiredEquality } from './equalities';
export { evaluate } from './evaluate';
export { flattenProperties } from './flatten';
export {
  compileSubscription,
  match,
  matchesYes,
  toMatchable,
  type CompiledSubscription,
  type Matchable,
  type MatchResult,
  type SubscriptionSource,
} from './match';
export { MAX_CONSTRAINT_BYTES, MAX_CONSTRAINT_TERMS, MAX_PROPERTIES } from './limits';
export { ConstraintLimitError, ConstraintParseError, MAX_NESTING, parseConstraints } from './parser';
export { SubscriptionIndex } from './subscriptionIndex';
export { Tri, triName, type TriName } from './tri';
export { toLiteral, toTypedProperties, type Literal, type TypedProperties } from './typedProperties';

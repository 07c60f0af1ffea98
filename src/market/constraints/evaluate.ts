/**
 * The reference interpreter: walks the tree and reads every value as it goes, a direct transcription of
 * golem-market-api.md §5.3. `compile` must agree with it on every input (property-tested); it is kept
 * deliberately naive so that it stays easy to check against the spec.
 */
import type { CompareNode, ComparisonOperator, ConstraintNode } from './ast';
import { Tri, triNot, triOf } from './tri';
import type { Literal, TypedProperties } from './typedProperties';
import { TYPED_DOMAINS } from './typedRefs';
import {
  compareNumbers,
  compareUtf8,
  operatorHolds,
  parseBoolean,
  parseListSyntax,
  parseRustF64,
  wildcardPattern,
} from './values';

export function evaluate(node: ConstraintNode, properties: TypedProperties): Tri {
  switch (node.kind) {
    case 'empty':
      return Tri.TRUE;
    case 'and':
      return node.children.reduce<Tri>(
        (result, child) => Math.min(result, evaluate(child, properties)) as Tri,
        Tri.TRUE,
      );
    case 'or':
      return node.children.reduce<Tri>(
        (result, child) => Math.max(result, evaluate(child, properties)) as Tri,
        Tri.FALSE,
      );
    case 'not':
      return triNot(evaluate(node.child, properties));
    case 'present':
      // Two-valued: an absent property makes presence FALSE, never UNDEFINED.
      return triOf(node.ref.aspect === null && properties.has(node.ref.name));
    case 'compare':
      return evaluateComparison(node, properties);
  }
}

function evaluateComparison({ ref, op, value }: CompareNode, properties: TypedProperties): Tri {
  const property = ref.aspect === null ? properties.get(ref.name) : undefined;
  if (property === undefined) return Tri.UNDEFINED;
  if (ref.valueType === 'any') return triOf(literalSatisfies(property, op, value));

  // A typed reference converts only Str properties; one that does not convert is UNDEFINED.
  const domain = TYPED_DOMAINS[ref.valueType];
  const left = typeof property === 'string' ? domain.parse(property) : null;
  if (left === null) return Tri.UNDEFINED;
  const right = domain.parse(value);
  return triOf(right !== null && operatorHolds(op, domain.compare(left, right)));
}

function literalSatisfies(property: Literal, op: ComparisonOperator, value: string): boolean {
  if (op === '=') return literalEquals(property, value);
  if (typeof property === 'string') return operatorHolds(op, compareUtf8(property, value));
  if (typeof property === 'number') return operatorHolds(op, compareNumbers(property, parseRustF64(value)));
  return false; // Boolean and List have no order
}

function literalEquals(property: Literal, value: string): boolean {
  switch (typeof property) {
    case 'string':
      return value.includes('*') ? (wildcardPattern(value)?.test(property) ?? false) : property === value;
    case 'number':
      return parseRustF64(value) === property;
    case 'boolean':
      return parseBoolean(value) === property;
    default: {
      const wanted = parseListSyntax(value);
      if (wanted === null) return property.some((item) => literalEquals(item, value));
      return wanted.length === property.length && wanted.every((w) => property.some((item) => literalEquals(item, w)));
    }
  }
}

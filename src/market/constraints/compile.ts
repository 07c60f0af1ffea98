/**
 * Compiles a parsed constraint once into a predicate closure. Everything that depends only on the
 * constraint (numbers, booleans, regexes, decimals, versions, instants, list items) is read at compile
 * time, and a call allocates nothing. Comparisons are closures over pre-read data that call the same
 * few helpers for every node, so V8 can inline those helpers instead of dispatching per node.
 * Must agree with `evaluate` on every input.
 */
import type { CompareNode, ComparisonOperator, ConstraintNode } from './ast';
import { internalize } from './internalize';
import { Tri, triNot } from './tri';
import type { Literal, TypedProperties } from './typedProperties';
import { TYPED_DOMAINS, type TypedDomain } from './typedRefs';
import {
  compareNumbers,
  compareUtf8,
  operatorHolds,
  parseBoolean,
  parseRustF64,
  wildcardPattern,
  type WildcardMatcher,
} from './values';

export type Predicate = (properties: TypedProperties) => Tri;

/** A constraint value read once in every form a property type may ask for. */
interface CompiledValue {
  readonly text: string;
  /** For Str equality: undefined = no wildcard (compare text), null = invalid regex (never equal). */
  readonly pattern: WildcardMatcher | null | undefined;
  /** NaN when the text is not a number (NaN equals and orders nothing). */
  readonly number: number;
  readonly bool: boolean | undefined;
  /** The items when the text is list syntax. */
  readonly items: readonly CompiledValue[] | null;
}

// Module-local copies of what the closures use on every call: under tsx (esbuild's CommonJS output)
// each use of an imported binding costs two getter calls, which made the predicates ~1.6× slower.
const { TRUE, FALSE, UNDEFINED } = Tri;
const not = triNot;
const holds = operatorHolds;
const orderNumbers = compareNumbers;
const orderText = compareUtf8;

const alwaysTrue: Predicate = () => TRUE;
const alwaysFalse: Predicate = () => FALSE;
const alwaysUndefined: Predicate = () => UNDEFINED;

export function compile(node: ConstraintNode): Predicate {
  switch (node.kind) {
    case 'empty':
      return alwaysTrue;
    case 'and':
      return compileAnd(node.children.map(compile));
    case 'or':
      return compileOr(node.children.map(compile));
    case 'not': {
      const child = compile(node.child);
      return (properties) => not(child(properties));
    }
    case 'present': {
      if (node.ref.aspect !== null) return alwaysFalse;
      const name = internalize(node.ref.name);
      return (properties) => (properties.has(name) ? TRUE : FALSE);
    }
    case 'compare':
      return compileComparison(node);
  }
}

/** Kleene AND (minimum), stopping at the first FALSE. */
function compileAnd(children: Predicate[]): Predicate {
  if (children.length === 0) return alwaysTrue;
  if (children.length === 1) return children[0];
  return (properties) => {
    let result: Tri = TRUE;
    for (let i = 0; i < children.length; i++) {
      const r = children[i](properties);
      if (r === FALSE) return FALSE;
      if (r < result) result = r;
    }
    return result;
  };
}

/** Kleene OR (maximum), stopping at the first TRUE. */
function compileOr(children: Predicate[]): Predicate {
  if (children.length === 0) return alwaysFalse;
  if (children.length === 1) return children[0];
  return (properties) => {
    let result: Tri = FALSE;
    for (let i = 0; i < children.length; i++) {
      const r = children[i](properties);
      if (r === TRUE) return TRUE;
      if (r > result) result = r;
    }
    return result;
  };
}

function compileComparison({ ref, op, value, list }: CompareNode): Predicate {
  if (ref.aspect !== null) return alwaysUndefined;
  const name = internalize(ref.name);
  if (ref.valueType !== 'any') return compileTypedComparison(name, TYPED_DOMAINS[ref.valueType], op, value);
  const compiled = compileValue(value, list);
  if (op === '=') {
    return (properties) => {
      const property = properties.get(name);
      if (property === undefined) return UNDEFINED;
      return equalsValue(property, compiled) ? TRUE : FALSE;
    };
  }
  return (properties) => {
    const property = properties.get(name);
    if (property === undefined) return UNDEFINED;
    return ordersValue(property, op, compiled) ? TRUE : FALSE;
  };
}

function compileTypedComparison(
  name: string,
  domain: TypedDomain<unknown>,
  op: ComparisonOperator,
  value: string,
): Predicate {
  const right = domain.parse(value);
  return (properties) => {
    const property = properties.get(name);
    const left = typeof property === 'string' ? domain.parseCached(property) : null;
    if (left === null) return UNDEFINED;
    return right !== null && holds(op, domain.compare(left, right)) ? TRUE : FALSE;
  };
}

function compileValue(text: string, list: readonly string[] | null): CompiledValue {
  return {
    text: internalize(text),
    pattern: text.includes('*') ? wildcardPattern(text) : undefined,
    number: parseRustF64(text),
    bool: parseBoolean(text),
    // List items cannot contain brackets, so an item is never list syntax itself.
    items: list?.map((item) => compileValue(item, null)) ?? null,
  };
}

function equalsValue(property: Literal, value: CompiledValue): boolean {
  return typeof property === 'object' ? equalsList(property, value) : equalsScalar(property, value);
}

/** Kept free of recursion so that V8 inlines it into the comparison closures and the list loops. */
function equalsScalar(property: string | number | boolean, value: CompiledValue): boolean {
  switch (typeof property) {
    case 'string':
      return value.pattern === undefined
        ? property === value.text
        : value.pattern !== null && value.pattern.test(property);
    case 'number':
      return property === value.number;
    default:
      return property === value.bool;
  }
}

function equalsList(items: readonly Literal[], value: CompiledValue): boolean {
  return value.items === null ? someEquals(items, value) : listEquals(items, value.items);
}

function someEquals(items: readonly Literal[], value: CompiledValue): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === 'object' ? equalsList(item, value) : equalsScalar(item, value)) return true;
  }
  return false;
}

/** Same length, and every wanted item equals some element (yagna's lazy list equality). */
function listEquals(items: readonly Literal[], wanted: readonly CompiledValue[]): boolean {
  if (items.length !== wanted.length) return false;
  for (let i = 0; i < wanted.length; i++) {
    if (!someEquals(items, wanted[i])) return false;
  }
  return true;
}

function ordersValue(property: Literal, op: ComparisonOperator, value: CompiledValue): boolean {
  if (typeof property === 'string') return holds(op, orderText(property, value.text));
  if (typeof property === 'number') return holds(op, orderNumbers(property, value.number));
  return false; // Boolean and List have no order
}

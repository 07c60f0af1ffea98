/** fast-check generators of constraint trees and property sets over small vocabularies, plus a printer. */
import fc from 'fast-check';
import type { ComparisonOperator, ConstraintNode, PropertyRef, ValueType } from '../../../src/market/constraints';
import { parseListSyntax } from '../../../src/market/constraints/values';

export interface Vocabulary {
  readonly names: readonly string[];
  readonly operators: readonly ComparisonOperator[];
  readonly valueTypes: readonly ValueType[];
  /** Constraint values (raw text; no `)`). */
  readonly values: readonly string[];
  readonly propertyValues: readonly unknown[];
}

/** Exercises every type, operator and syntax corner of §5.3. */
export const WIDE: Vocabulary = {
  names: ['a', 'b', 'c'],
  operators: ['=', '=', '<', '<=', '>', '>='],
  valueTypes: ['any', 'any', 'any', 'any', 'decimal', 'version', 'datetime'],
  values: [
    'x',
    'y',
    'x*',
    'x.*',
    '*',
    '*x',
    'a.c*',
    '[*',
    'a(b',
    '',
    ' x',
    'é',
    '😀',
    'x\\"y',
    '1',
    '1.0',
    '+1',
    '.5',
    '1.',
    '2',
    '-1',
    '10',
    '9',
    'inf',
    'NaN',
    '1e400',
    '0x1',
    'true',
    'false',
    'True',
    '[x,y]',
    '[x, y]',
    '[1,2]',
    '[]',
    '[x,]',
    '[true]',
    '1.2.3',
    '1.10.0',
    '1.2.3-alpha',
    '2024-01-01T00:00:00Z',
    '2024-01-01T01:00:00+01:00',
  ],
  propertyValues: [
    'x',
    'y',
    'xx',
    'abc',
    'x"y',
    'a\rb',
    '',
    ' x',
    'é',
    '😀',
    '[x,y]',
    '1',
    '1.0',
    '10',
    '9',
    '2',
    'true',
    '1.2.3',
    '1.10.0',
    '1.2.3-alpha',
    '2024-01-01T00:00:00Z',
    1,
    1.5,
    2,
    -1,
    0,
    10,
    0.5,
    1e308,
    true,
    false,
    null,
    {},
    ['x', 'y'],
    [1, 2],
    ['x', ['y']],
    [],
    [1, null],
    [true, 'x'],
  ],
};

/** Few names and values, mostly equalities, so that constraints are often TRUE and two-way matches happen. */
export const NARROW: Vocabulary = {
  names: ['a', 'b', 'c'],
  operators: ['=', '=', '=', '=', '=', '<'],
  valueTypes: ['any'],
  values: ['x', 'x', 'y', '1', '1.0', 'true', 'x*', '[x,y]'],
  propertyValues: ['x', 'x', 'y', 1, '1', true, ['x', 'y'], ['x', 1]],
};

/** A few values in many spellings (and as list elements), for checking the index's equality tokens. */
export const EQUALITIES: Vocabulary = {
  names: ['a', 'b'],
  operators: ['='],
  valueTypes: ['any', 'any', 'any', 'any', 'decimal'],
  values: ['x', 'y', '1', '1.0', '+1', '1e0', 'true', 'True', 'x*', '[x,y]', '[1]'],
  propertyValues: ['x', 'y', '1', '1.0', 1, true, ['x', 'y'], ['x', 1], [true], [['x']], [[1, 2]], null],
};

const EMPTY: ConstraintNode = { kind: 'empty' };

function leaf(vocabulary: Vocabulary): fc.Arbitrary<ConstraintNode> {
  const ref: fc.Arbitrary<PropertyRef> = fc.record({
    name: fc.constantFrom(...vocabulary.names),
    aspect: fc.oneof({ arbitrary: fc.constant(null), weight: 9 }, { arbitrary: fc.constant('x'), weight: 1 }),
    valueType: fc.constantFrom(...vocabulary.valueTypes),
  });
  const compare = fc
    .tuple(ref, fc.constantFrom(...vocabulary.operators), fc.constantFrom(...vocabulary.values))
    .filter(([, op, value]) => !(op === '=' && value.startsWith('*'))) // `=*` always starts a presence test
    .map(([r, op, value]): ConstraintNode => ({ kind: 'compare', ref: r, op, value, list: parseListSyntax(value) }));
  return fc.oneof(
    { arbitrary: compare, weight: 4 },
    { arbitrary: ref.map((r): ConstraintNode => ({ kind: 'present', ref: r })), weight: 1 },
  );
}

export function constraintTree(vocabulary: Vocabulary): fc.Arbitrary<ConstraintNode> {
  const { node } = fc.letrec<{ node: ConstraintNode; operand: ConstraintNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      leaf(vocabulary),
      fc.array(tie('operand'), { maxLength: 4 }).map((children): ConstraintNode => ({ kind: 'and', children })),
      fc.array(tie('operand'), { maxLength: 4 }).map((children): ConstraintNode => ({ kind: 'or', children })),
      tie('node').map((child): ConstraintNode => ({ kind: 'not', child })),
    ),
    operand: fc.oneof({ arbitrary: tie('node'), weight: 6 }, { arbitrary: fc.constant(EMPTY), weight: 1 }),
  }));
  return fc.oneof({ arbitrary: node, weight: 20 }, { arbitrary: fc.constant(EMPTY), weight: 1 });
}

/** A conjunction of mostly plain filters at the top, where required equalities come from. */
export function conjunction(vocabulary: Vocabulary): fc.Arbitrary<ConstraintNode> {
  const operand = fc.oneof(
    { arbitrary: leaf(vocabulary), weight: 3 },
    { arbitrary: constraintTree(vocabulary), weight: 1 },
  );
  return fc
    .array(operand, { minLength: 1, maxLength: 3 })
    .map((children): ConstraintNode => ({ kind: 'and', children }));
}

export function properties(vocabulary: Vocabulary, minKeys = 0): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.constantFrom(...vocabulary.names), fc.constantFrom(...vocabulary.propertyValues), {
    minKeys,
    maxKeys: vocabulary.names.length,
  });
}

/** Whitespace the grammar allows between filters. */
export const whitespace = fc.constantFrom('', ' ', '\n\t', ' \r\n ');

const TYPE_SUFFIX: Readonly<Record<ValueType, string>> = { any: '', decimal: '$d', version: '$v', datetime: '$t' };

/** Prints a tree in the constraint language, with `ws` wherever the grammar skips whitespace. */
export function formatConstraint(node: ConstraintNode, ws = ''): string {
  return node.kind === 'empty' ? '()' : ws + formatFilter(node, ws);
}

function formatFilter(node: ConstraintNode, ws: string): string {
  const ref = (r: PropertyRef) => r.name + (r.aspect === null ? '' : `[${r.aspect}]`) + TYPE_SUFFIX[r.valueType];
  switch (node.kind) {
    case 'empty':
      return '()';
    case 'and':
    case 'or':
      return `(${ws}${node.kind === 'and' ? '&' : '|'}${node.children.map((c) => ws + formatFilter(c, ws)).join('')}${ws})`;
    case 'not':
      return `(${ws}!${ws}${formatFilter(node.child, ws)}${ws})`;
    case 'present':
      return `(${ref(node.ref)}=*${ws})`;
    case 'compare':
      return `(${ref(node.ref)}${node.op}${node.value})`;
  }
}

/** Property-based tests: parser round trip, compiler ≡ interpreter, and index ≡ full scan. */
import fc from 'fast-check';
import {
  SubscriptionIndex,
  Tri,
  compile,
  compileSubscription,
  evaluate,
  flattenProperties,
  match,
  parseConstraints,
  requiredEqualities,
  toTypedProperties,
  type CompiledSubscription,
} from '../../../src/market/constraints';
import { literalTokens } from '../../../src/market/constraints/equalities';
import {
  EQUALITIES,
  NARROW,
  WIDE,
  conjunction,
  constraintTree,
  formatConstraint,
  properties,
  whitespace,
} from './arbitraries';

const typed = (props: Record<string, unknown>) => toTypedProperties(flattenProperties(props));

describe('parser', () => {
  it('parses a printed tree back to the same tree', () => {
    fc.assert(
      fc.property(constraintTree(WIDE), whitespace, (tree, ws) => {
        expect(parseConstraints(formatConstraint(tree, ws))).toEqual(tree);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('compiled predicate', () => {
  it('agrees with the interpreter on every single comparison of the vocabulary', () => {
    const suffixes = ['', '$d', '$v', '$t', '[x]'];
    const operators = ['=', '<', '<=', '>', '>='];
    const propertyValues = WIDE.propertyValues.map((value) => [value, typed({ a: value })] as const);
    const disagreements: string[] = [];
    let compared = 0;
    for (const suffix of suffixes) {
      for (const op of operators) {
        for (const value of WIDE.values) {
          if (op === '=' && value.startsWith('*')) continue; // `=*` is presence
          const tree = parseConstraints(`(a${suffix}${op}${value})`);
          const predicate = compile(tree);
          for (const [value, props] of propertyValues) {
            if (predicate(props) !== evaluate(tree, props)) {
              disagreements.push(`${formatConstraint(tree)} on ${JSON.stringify(value)}`);
            }
            compared++;
          }
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(30_000);
  });

  it('agrees with the interpreter on every constraint and property set', () => {
    const seen = new Set<Tri>();
    fc.assert(
      fc.property(constraintTree(WIDE), properties(WIDE), (tree, props) => {
        const typedProps = typed(props);
        const expected = evaluate(tree, typedProps);
        seen.add(expected);
        expect(compile(tree)(typedProps)).toBe(expected);
        expect(compile(tree)(typedProps)).toBe(expected); // again, now with the typed-reference memos filled
      }),
      { numRuns: 3000 },
    );
    expect(seen).toEqual(new Set([Tri.TRUE, Tri.FALSE, Tri.UNDEFINED]));
  });
});

describe('required equalities', () => {
  it('are met by every property value that a plain equality accepts (all vocabulary pairs)', () => {
    let accepted = 0;
    for (const value of WIDE.values) {
      if (value.startsWith('*')) continue; // `=*` is presence
      const tree = parseConstraints(`(a=${value})`);
      for (const propertyValue of WIDE.propertyValues) {
        const typedProps = typed({ a: propertyValue });
        if (evaluate(tree, typedProps) !== Tri.TRUE) continue;
        accepted++;
        const yielded = literalTokens(typedProps.get('a')!);
        for (const { tokens } of requiredEqualities(tree))
          expect(tokens.filter((t) => yielded.includes(t))).not.toEqual([]);
      }
    }
    expect(accepted).toBeGreaterThan(40);
  });

  it('hold whenever the constraint is TRUE', () => {
    let checked = 0; // requirements checked on TRUE constraints: must not be vacuous
    fc.assert(
      fc.property(conjunction(EQUALITIES), properties(EQUALITIES, 1), (tree, props) => {
        const typedProps = typed(props);
        if (evaluate(tree, typedProps) !== Tri.TRUE) return;
        for (const { name, tokens } of requiredEqualities(tree)) {
          const literal = typedProps.get(name);
          const yielded = literal === undefined ? [] : literalTokens(literal);
          expect(tokens.some((token) => yielded.includes(token))).toBe(true);
          checked++;
        }
      }),
      { numRuns: 3000 },
    );
    expect(checked).toBeGreaterThan(50);
  });
});

describe('SubscriptionIndex', () => {
  type Operation =
    | { type: 'add'; replace: number | null; properties: Record<string, unknown>; constraints: string }
    | { type: 'remove'; pick: number }
    | { type: 'query'; properties: Record<string, unknown>; constraints: string };

  const source = fc.record({
    properties: properties(NARROW, 2),
    constraints: fc.oneof(constraintTree(NARROW), conjunction(NARROW)).map((tree) => formatConstraint(tree)),
  });
  const operation: fc.Arbitrary<Operation> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(source, fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }))
        .map(([s, replace]) => ({ type: 'add' as const, replace, ...s })),
    },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('remove' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: source.map((s) => ({ type: 'query' as const, ...s })) },
  );

  it('returns exactly what a full scan returns, through adds, replacements and removals', () => {
    let matches = 0; // total Yes results seen: the comparison must not be vacuous
    fc.assert(
      fc.property(
        fc.array(operation, { minLength: 10, maxLength: 60 }),
        fc.integer({ min: 0, max: 3 }),
        (operations, maxNames) => {
          const index = new SubscriptionIndex(maxNames);
          const live = new Map<string, CompiledSubscription>();
          let next = 0;
          for (const op of operations) {
            const ids = [...live.keys()];
            if (op.type === 'add') {
              const id = op.replace !== null && ids.length > 0 ? ids[op.replace % ids.length] : `s${next++}`;
              const subscription = compileSubscription({ id, properties: op.properties, constraints: op.constraints });
              live.set(id, subscription);
              index.add(subscription);
            } else if (op.type === 'remove') {
              const id = ids.length > 0 ? ids[op.pick % ids.length] : 'absent';
              expect(index.remove(id)).toBe(live.delete(id));
            } else {
              const query = compileSubscription({ id: 'query', ...op });
              const scan = [...live.values()]
                .filter((s) => match(query, s) === 'Yes')
                .map((s) => s.id)
                .sort();
              const candidates = new Set(index.candidates(query).map((s) => s.id));
              expect(scan.filter((id) => !candidates.has(id))).toEqual([]);
              expect(
                index
                  .matchAll(query)
                  .map((s) => s.id)
                  .sort(),
              ).toEqual(scan);
              matches += scan.length;
            }
            expect(index.size).toBe(live.size);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(matches).toBeGreaterThan(300);
  });
});

import {
  compileSubscription,
  ConstraintLimitError,
  ConstraintParseError,
  flattenProperties,
  MAX_CONSTRAINT_BYTES,
  MAX_CONSTRAINT_TERMS,
  MAX_PROPERTIES,
  parseConstraints,
} from '../../src/market/constraints';

const terms = (n: number): string => `(&${'(a=1)'.repeat(n)})`;
const padded = (bytes: number, char = 'x'): string => `(a=${char.repeat(bytes - 4)})`;

function limitError(run: () => unknown): ConstraintLimitError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConstraintLimitError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('constraint and property limits', () => {
  it(`parses ${MAX_CONSTRAINT_TERMS} terms and refuses one more, naming the limit`, () => {
    expect(parseConstraints(terms(MAX_CONSTRAINT_TERMS))).toMatchObject({ kind: 'and' });
    const err = limitError(() => parseConstraints(terms(MAX_CONSTRAINT_TERMS + 1)));
    expect(err).toBeInstanceOf(ConstraintParseError); // callers answer it as they answer any parse error: 400
    expect(err.message).toBe(`Constraints have more than the limit of ${MAX_CONSTRAINT_TERMS} terms`);
  });

  it('counts presence tests and nested terms too', () => {
    const nested = `(|${'(!(b=*))'.repeat(MAX_CONSTRAINT_TERMS / 2)}(&${'(c>1)'.repeat(MAX_CONSTRAINT_TERMS / 2 + 1)}))`;
    expect(limitError(() => parseConstraints(nested)).message).toContain(`${MAX_CONSTRAINT_TERMS} terms`);
  });

  it(`accepts ${MAX_CONSTRAINT_BYTES} bytes of constraint and refuses one byte more, counting UTF-8 bytes`, () => {
    expect(parseConstraints(padded(MAX_CONSTRAINT_BYTES))).toMatchObject({ kind: 'compare' });
    const over = limitError(() => parseConstraints(padded(MAX_CONSTRAINT_BYTES + 1)));
    expect(over.message).toBe(`Constraints are longer than the limit of ${MAX_CONSTRAINT_BYTES} bytes`);
    // 'é' is two bytes: half as many characters already reach the limit.
    const wide = `(a=${'é'.repeat(MAX_CONSTRAINT_BYTES / 2)})`;
    expect(wide.length).toBeLessThan(MAX_CONSTRAINT_BYTES);
    expect(limitError(() => parseConstraints(wide)).message).toContain(`${MAX_CONSTRAINT_BYTES} bytes`);
  });

  it(`flattens ${MAX_PROPERTIES} properties, nested or flat, and refuses one more`, () => {
    const flat = Object.fromEntries(Array.from({ length: MAX_PROPERTIES }, (_, i) => [`p${i}`, i]));
    expect(Object.keys(flattenProperties(flat))).toHaveLength(MAX_PROPERTIES);
    const nested = { golem: { ...flat, extra: { one: 1 } } };
    expect(limitError(() => flattenProperties(nested)).message).toBe(
      `More properties than the limit of ${MAX_PROPERTIES}`,
    );
    expect(() => compileSubscription({ id: 'x', properties: { ...flat, more: 1 }, constraints: '()' })).toThrow(
      ConstraintLimitError,
    );
  });
});

import {
  ConstraintParseError,
  MAX_NESTING,
  parseConstraints,
  type ConstraintNode,
} from '../../../src/market/constraints';

const ref = (name: string, extra: Partial<{ aspect: string; valueType: string }> = {}) => ({
  name,
  aspect: extra.aspect ?? null,
  valueType: extra.valueType ?? 'any',
});
const eq = (name: string, value: string): ConstraintNode =>
  ({ kind: 'compare', ref: ref(name), op: '=', value, list: null }) as ConstraintNode;

function parseError(text: string): ConstraintParseError {
  try {
    parseConstraints(text);
  } catch (error) {
    if (error instanceof ConstraintParseError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

describe('parseConstraints', () => {
  it('builds the tree of nested filters', () => {
    expect(parseConstraints('(&(a=b)(|(c<1)(d>=2))(!(e=*)))')).toEqual({
      kind: 'and',
      children: [
        eq('a', 'b'),
        {
          kind: 'or',
          children: [
            { kind: 'compare', ref: ref('c'), op: '<', value: '1', list: null },
            { kind: 'compare', ref: ref('d'), op: '>=', value: '2', list: null },
          ],
        },
        { kind: 'not', child: { kind: 'present', ref: ref('e') } },
      ],
    });
  });

  it.each(['<', '<=', '>', '>=', '='])('reads the operator %s', (op) => {
    expect(parseConstraints(`(x${op}1)`)).toMatchObject({ op, value: '1' });
  });

  it('skips whitespace, tabs and newlines between filters but never inside attr op value', () => {
    expect(parseConstraints('( &  (a=b)  (b=c)\n\t(c=d) )')).toEqual({
      kind: 'and',
      children: [eq('a', 'b'), eq('b', 'c'), eq('c', 'd')],
    });
    expect(parseConstraints('( !   (cn=Tim Howes))')).toEqual({ kind: 'not', child: eq('cn', 'Tim Howes') });
    expect(parseConstraints('(a = b)')).toEqual(eq('a ', ' b'));
    expect(parseConstraints('\n (a=b) \n')).toEqual(eq('a', 'b'));
  });

  it('accepts () only as the whole string or as an operand of & and |', () => {
    expect(parseConstraints('()')).toEqual({ kind: 'empty' });
    expect(parseConstraints('(|() (a=b))')).toEqual({ kind: 'or', children: [{ kind: 'empty' }, eq('a', 'b')] });
    for (const text of [' ()', '( )', '(!())']) expect(() => parseConstraints(text)).toThrow(ConstraintParseError);
  });

  it('reads aspects and type hints on the reference', () => {
    expect(parseConstraints('(a[b]=1)')).toMatchObject({ ref: ref('a', { aspect: 'b' }) });
    expect(parseConstraints('(a$d=1)')).toMatchObject({ ref: ref('a', { valueType: 'decimal' }) });
    expect(parseConstraints('(a$v=1)')).toMatchObject({ ref: ref('a', { valueType: 'version' }) });
    expect(parseConstraints('(a[b]$t=1)')).toMatchObject({ ref: ref('a', { aspect: 'b', valueType: 'datetime' }) });
    expect(parseConstraints('(golem.runtime.version@v=1)')).toMatchObject({ ref: ref('golem.runtime.version@v') });
    expect(parseConstraints('(a[b]=*)')).toEqual({ kind: 'present', ref: ref('a', { aspect: 'b' }) });
  });

  it.each([
    ['(a$x=1)', 3, "a type code 'd', 'v' or 't'"],
    ['(a[b=1)', 4, "']'"],
    ['(a]=1)', 2, "one of '=', '<', '<=', '>', '>=' after the property reference"],
    ['(a$d$v=1)', 4, "one of '=', '<', '<=', '>', '>=' after the property reference"],
  ])('rejects the malformed reference %j at %i', (text, position, expected) => {
    expect(parseError(text)).toMatchObject({ position, expected });
  });

  it('keeps values raw, with wildcards and list syntax', () => {
    expect(parseConstraints('(a=Babs *)')).toEqual(eq('a', 'Babs *'));
    expect(parseConstraints('(a=[x, y ,z])')).toMatchObject({ value: '[x, y ,z]', list: ['x', 'y ', 'z'] });
    expect(parseConstraints('(a=[])')).toMatchObject({ list: null });
    expect(parseConstraints('(a=)')).toEqual(eq('a', ''));
  });

  it('treats =* followed by only whitespace as presence, and anything else after =* as an error', () => {
    expect(parseConstraints('(a=* )')).toEqual({ kind: 'present', ref: ref('a') });
    expect(parseError('(a=*b)')).toMatchObject({ position: 4, expected: "')'", found: "'b'" });
  });

  it('ends a value at the first ), so a parenthesis in a value leaves trailing text (an error)', () => {
    expect(parseError('(&(a=f(x))(b=c))')).toMatchObject({ position: 10, expected: 'end of input' });
  });

  it('rejects trailing text after the top-level filter but allows trailing whitespace', () => {
    expect(parseError('(a=b)garbage')).toMatchObject({ position: 5, expected: 'end of input', found: "'g'" });
    expect(parseError('()()')).toMatchObject({ position: 2 });
    expect(parseConstraints('(a=b) \n')).toEqual(eq('a', 'b'));
  });

  it('reports the end of input for a truncated filter', () => {
    const error = parseError('(&(golem.inf.mem.gib>=');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConstraintParseError');
    expect(error).toMatchObject({ position: 22, expected: 'a value', found: 'end of input' });
    expect(error.message).toBe('Invalid constraints at position 22: expected a value, found end of input');
  });

  it('reports the position of an unsupported operator', () => {
    const error = parseError('(a~=b)');
    expect(error).toMatchObject({ position: 2, expected: "one of '=', '<', '<=', '>', '>='", found: "'~'" });
    expect(error.message).toBe(
      "Invalid constraints at position 2: expected one of '=', '<', '<=', '>', '>=', found '~'",
    );
  });

  it.each([
    ['', 0, "'('"],
    ['foo', 0, "'('"],
    ['(a=b', 4, "')'"],
    ['(&(a=b)x)', 7, "'(' or ')'"],
    ['(&(a=b)', 7, "'(' or ')'"],
    ['(=b)', 1, "'&', '|', '!' or a property name"],
    ['(!(a=b)(c=d))', 7, "')'"],
  ])('rejects %j at %i expecting %s', (text, position, expected) => {
    expect(parseError(text)).toMatchObject({ position, expected });
  });

  it('shows control characters escaped in the message', () => {
    expect(parseError('(a=b)\u0001').message).toBe(
      "Invalid constraints at position 5: expected end of input, found '\\u0001'",
    );
  });

  it(`limits nesting to ${MAX_NESTING} filters instead of overflowing the stack`, () => {
    const nested = (depth: number) => `${'(!'.repeat(depth - 1)}(a=b)${')'.repeat(depth - 1)}`;
    expect(() => parseConstraints(nested(MAX_NESTING))).not.toThrow();
    expect(parseError(nested(MAX_NESTING + 1))).toMatchObject({ expected: `at most ${MAX_NESTING} nested filters` });
    expect(parseError(nested(100_000))).toBeInstanceOf(ConstraintParseError);
  });
});

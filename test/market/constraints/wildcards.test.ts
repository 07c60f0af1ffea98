import fc from 'fast-check';
import { wildcardPattern } from '../../../src/market/constraints/values';

/** yagna's own construction, the reference the linear matcher must agree with. */
const reference = (value: string, text: string): boolean =>
  new RegExp(`^${value.split('*').join('.*')}$`, 'u').test(text);

describe('wildcard values', () => {
  it('the linear glob matcher agrees with the regex yagna builds, for values of literals, "." and "*"', () => {
    const piece = fc.constantFrom('a', 'b', '.', '*', 'ä');
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 8 }),
        fc.array(fc.constantFrom('a', 'b', 'ä', '.'), { maxLength: 10 }),
        (valueParts, textParts) => {
          const value = valueParts.join('');
          const text = textParts.join('');
          expect(wildcardPattern(value)!.test(text)).toBe(reference(value, text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('stays linear on adversarial input (no catastrophic backtracking)', () => {
    const matcher = wildcardPattern(`${'*a'.repeat(30)}*b`)!;
    const started = Date.now();
    expect(matcher.test('a'.repeat(20_000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keeps simple regex syntax, refuses groups and piles of quantifiers (never equal)', () => {
    expect(wildcardPattern('ab+c*')!.test('abbbcxyz')).toBe(true);
    expect(wildcardPattern('(a*)*b')).toBeNull();
    expect(wildcardPattern('a+b+c+d+e+*')).toBeNull();
  });
});

import fc from 'fast-check';
import { compileSubscription, ConstraintCache, match, toMatchable } from '../../../src/market/constraints';
import { constraintTree, EQUALITIES, formatConstraint, NARROW, properties } from './arbitraries';

/** A cached compilation matches exactly as a fresh one, and one constraint text is compiled once. */
describe('ConstraintCache', () => {
  it('match() over cached subscriptions equals match() over freshly compiled ones', () => {
    for (const vocabulary of [NARROW, EQUALITIES]) {
      const side = fc.record({ properties: properties(vocabulary), constraint: constraintTree(vocabulary) });
      fc.assert(
        fc.property(side, side, fc.boolean(), (a, b, sameConstraint) => {
          const cache = new ConstraintCache();
          const source = (id: string, s: typeof a) => ({
            id,
            properties: s.properties,
            constraints: formatConstraint(sameConstraint ? a.constraint : s.constraint),
          });
          const cached = [cache.matchable(source('a', a)), cache.matchable(source('b', b))];
          const fresh = [compileSubscription(source('a', a)), compileSubscription(source('b', b))];
          expect(match(cached[0], cached[1])).toBe(match(fresh[0], fresh[1]));
          expect(cached[0].requiredEqualities).toEqual(fresh[0].requiredEqualities);
          expect(cached[0].properties).toEqual(toMatchable(fresh[0]).properties);
          if (sameConstraint) expect(cached[1].predicate).toBe(cached[0].predicate);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('keeps at most maxEntries constraint texts, dropping the oldest first, and refuses what does not parse', () => {
    const cache = new ConstraintCache(2);
    const first = cache.matchable({ id: 'x', properties: {}, constraints: '(a=1)' });
    cache.matchable({ id: 'y', properties: {}, constraints: '(b=1)' });
    cache.matchable({ id: 'z', properties: {}, constraints: '(c=1)' });
    expect(cache.size).toBe(2);
    expect(cache.matchable({ id: 'w', properties: {}, constraints: '(a=1)' }).predicate).not.toBe(first.predicate);
    expect(() => cache.matchable({ id: 'v', properties: {}, constraints: '(a=' })).toThrow(/position/);
    expect(cache.size).toBe(2);
  });
});

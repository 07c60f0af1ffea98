import {
  ConstraintParseError,
  compileSubscription,
  flattenProperties,
  match,
  matchesYes,
  parseConstraints,
} from '../../../src/market/constraints';
import { loadVectors, resolve } from './helpers';

const vectors = loadVectors();

describe('shared vectors (shared/vectors/constraints.json)', () => {
  it('has vectors in every section', () => {
    expect(vectors.expressions.length).toBeGreaterThan(0);
    expect(vectors.matches.length).toBeGreaterThan(0);
    expect(vectors.flatten.length).toBeGreaterThan(0);
    expect(vectors.parse.mustFail.length).toBeGreaterThan(0);
    expect(vectors.parse.mustParse.length).toBeGreaterThan(0);
  });

  it.each(vectors.expressions.map((v) => [v.id, v] as const))('expression %s', (_id, v) => {
    expect(resolve(v.constraint, v.properties)).toBe(v.expected);
  });

  it.each(vectors.matches.map((v) => [v.id, v] as const))('match %s', (_id, v) => {
    const demand = compileSubscription({ id: 'demand', ...v.demand });
    const offer = compileSubscription({ id: 'offer', ...v.offer });
    expect(match(demand, offer)).toBe(v.expected);
    expect(match(offer, demand)).toBe(v.expected);
    expect(matchesYes(demand, offer)).toBe(v.expected === 'Yes');
  });

  it.each(vectors.flatten.map((v, i) => [i, v] as const))('flatten #%i', (_i, v) => {
    expect(flattenProperties(v.input)).toEqual(v.output);
  });

  it.each(vectors.parse.mustFail)('rejects %j', (text) => {
    expect(() => parseConstraints(text)).toThrow(ConstraintParseError);
  });

  it.each(vectors.parse.mustParse)('accepts %j', (text) => {
    expect(() => parseConstraints(text)).not.toThrow();
  });
});

describe('E-table vectors of golem-market-api.md §5.5 not in the JSON', () => {
  const paymentAddress = 'golem.com.payment.platform.erc20-holesky-tglm.address';
  it.each([
    ['E21', '(golem.runtime.capabilities=vpn)', { 'golem.runtime.capabilities': ['vpn', 'inet'] }, 'TRUE'],
    [
      'E22',
      '(golem.com.pricing.model.linear.coeffs=0.2)',
      { 'golem.com.pricing.model.linear.coeffs': [0.1, 0.2, 1.0] },
      'TRUE',
    ],
    ['E23 number', '(golem.inf.mem.gib>=0.5)', { 'golem.inf.mem.gib': 1.0 }, 'TRUE'],
    ['E23 string', '(golem.inf.mem.gib>=0.5)', { 'golem.inf.mem.gib': '1.0' }, 'TRUE'],
    ['E23 absent', '(golem.inf.mem.gib>=0.5)', {}, 'UNDEFINED'],
    ['E24', '(x>=9)', { x: '10' }, 'FALSE'],
    ['E25 true', '(golem.srv.caps.multi-activity=true)', { 'golem.srv.caps.multi-activity': true }, 'TRUE'],
    ['E25 True', '(golem.srv.caps.multi-activity=True)', { 'golem.srv.caps.multi-activity': true }, 'FALSE'],
    ['E26 presence', '(x=*)', { x: null }, 'FALSE'],
    ['E26 comparison', '(x=1)', { x: null }, 'UNDEFINED'],
    ['E27 (attr keeps its space)', '(a = b)', { a: 'b' }, 'UNDEFINED'],
    ['E30', '(golem.inf.mem.gib$d>=1)', { 'golem.inf.mem.gib': 2 }, 'UNDEFINED'],
    ['E31', '(name=a.c*)', { name: 'abcd' }, 'TRUE'],
    ['E32', `(${paymentAddress}=*)`, { [paymentAddress]: '0x0000000000000000000000000000000000000001' }, 'TRUE'],
  ])('%s: %s', (_id, constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });

  it('E28: text after the first filter is a parse error (yagna ignores it; we do not)', () => {
    expect(() => parseConstraints('(a=b)(c=d)')).toThrow(new ConstraintParseError(5, 'end of input', "'('"));
  });

  it('E29: (a=*b) is a parse error', () => {
    expect(() => parseConstraints('(a=*b)')).toThrow(ConstraintParseError);
  });

  it('M6: empty constraints never compile into a subscription', () => {
    expect(() => compileSubscription({ id: 'd', properties: {}, constraints: '' })).toThrow(ConstraintParseError);
  });
});

import { flattenProperties, toLiteral, toTypedProperties } from '../../../src/market/constraints';

describe('flattenProperties', () => {
  it('joins nested keys with dots and keeps arrays whole', () => {
    expect(flattenProperties({ golem: { inf: { 'mem.gib': 1, cpu: { cores: 4 } }, caps: ['a', { b: 1 }] } })).toEqual({
      'golem.caps': ['a', { b: 1 }],
      'golem.inf.cpu.cores': 4,
      'golem.inf.mem.gib': 1,
    });
  });

  it('assigns @tag to the parent path', () => {
    expect(
      flattenProperties({ golem: { com: { pricing: { model: { '@tag': 'linear', linear: { coeffs: [0.1] } } } } } }),
    ).toEqual({
      'golem.com.pricing.model': 'linear',
      'golem.com.pricing.model.linear.coeffs': [0.1],
    });
    expect(flattenProperties({ '@tag': 1, a: 2 })).toEqual({ '': 1, a: 2 });
  });

  it('keeps empty objects and null as values', () => {
    expect(flattenProperties({ a: {}, b: null })).toEqual({ a: {}, b: null });
  });

  it.each([
    [{}, { '': {} }],
    [null, { '': null }],
    [5, { '': 5 }],
    ['text', { '': 'text' }],
    [[1, 2], { '': [1, 2] }],
  ])('stores an empty or non-object top level %j under the empty key', (input, output) => {
    expect(flattenProperties(input)).toEqual(output);
  });

  it('lets the byte-wise later source key win a collision, whatever the input order', () => {
    expect(flattenProperties({ 'a.b': 2, a: { b: 1 } })).toEqual({ 'a.b': 2 });
    expect(flattenProperties({ a: { b: 1 }, 'a.b': 2 })).toEqual({ 'a.b': 2 });
    expect(flattenProperties({ a: { b: { c: 1 } }, 'a.b': { '@tag': 3 } })).toEqual({ 'a.b': 3, 'a.b.c': 1 });
  });

  it('returns keys in byte order', () => {
    expect(Object.keys(flattenProperties({ b: 1, 'a.z': 1, a: { b: 1 }, B: 1, é: 1 }))).toEqual([
      'B',
      'a.b',
      'a.z',
      'b',
      'é',
    ]);
  });

  it('treats __proto__ as an ordinary key', () => {
    const flat = flattenProperties(JSON.parse('{"__proto__": {"x": 1}, "y": 2}'));
    expect(Object.keys(flat)).toEqual(['__proto__.x', 'y']);
    expect(Object.getPrototypeOf(flat)).toBe(Object.prototype);
  });
});

describe('toTypedProperties', () => {
  it('types strings, numbers, booleans and lists, and drops what yagna cannot parse', () => {
    const typed = toTypedProperties({
      s: 'a"b\\c',
      n: 1.5,
      b: false,
      l: [1, ['x'], true],
      empty: [],
      nul: null,
      obj: {},
      listWithNull: [1, null],
      cr: 'a\rb',
      tab: 'a\tb',
    });
    expect(Object.fromEntries(typed)).toEqual({
      s: 'a\\"b\\\\c', // the JSON-escaped text, as yagna compares it
      n: 1.5,
      b: false,
      l: [1, ['x'], true],
      empty: [],
      tab: 'a\\tb',
    });
  });

  it.each([NaN, Infinity, undefined, () => 1])('drops the non-JSON value %p', (value) => {
    expect(toLiteral(value)).toBeNull();
  });
});

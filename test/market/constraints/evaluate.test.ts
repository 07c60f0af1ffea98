/** The operator table of golem-market-api.md §5.3, checked on the interpreter and the compiler at once. */
import { resolve } from './helpers';

type Case = [constraint: string, properties: Record<string, unknown>, expected: string];

describe('three-valued logic', () => {
  it.each<Case>([
    ['(&(a=1)(b=1))', { a: 1 }, 'UNDEFINED'],
    ['(&(a=1)(b=1))', { a: 2 }, 'FALSE'],
    ['(|(a=1)(b=1))', { a: 2 }, 'UNDEFINED'],
    ['(|(a=1)(b=1))', { b: 1 }, 'TRUE'],
    ['(!(|(a=1)(b=1)))', { a: 2, b: 2 }, 'TRUE'],
    ['(&(a=1)())', { a: 1 }, 'TRUE'],
    ['(|(a=1)())', {}, 'TRUE'],
    ['(!(a=*))', {}, 'TRUE'],
  ])('%s on %j is %s', (constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });
});

describe('Number properties (value read with Rust f64 rules)', () => {
  it.each<Case>([
    ['(x=1.)', { x: 1 }, 'TRUE'],
    ['(x=.5)', { x: 0.5 }, 'TRUE'],
    ['(x=+1)', { x: 1 }, 'TRUE'],
    ['(x=1e0)', { x: 1 }, 'TRUE'],
    ['(x=1E+0)', { x: 1 }, 'TRUE'],
    ['(x= 1)', { x: 1 }, 'FALSE'],
    ['(x=0x1)', { x: 1 }, 'FALSE'],
    ['(x=)', { x: 0 }, 'FALSE'],
    ['(x=.)', { x: 0 }, 'FALSE'],
    ['(x<inf)', { x: 1e308 }, 'TRUE'],
    ['(x>-Infinity)', { x: -1e308 }, 'TRUE'],
    ['(x<NaN)', { x: 1 }, 'FALSE'],
    ['(x>=NaN)', { x: 1 }, 'FALSE'],
    ['(x=NaN)', { x: 1 }, 'FALSE'],
    ['(x<=abc)', { x: 1 }, 'FALSE'],
    ['(x>1*)', { x: 2 }, 'FALSE'],
    ['(x=1*)', { x: 1 }, 'FALSE'],
  ])('%s on %j is %s', (constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });
});

describe('Str properties', () => {
  it.each<Case>([
    ['(s=abc)', { s: 'abc' }, 'TRUE'],
    ['(s=ABC)', { s: 'abc' }, 'FALSE'],
    ['(s>=9)', { s: '10' }, 'FALSE'],
    ['(s<b)', { s: 'a' }, 'TRUE'],
    ['(s<ab)', { s: 'a' }, 'TRUE'],
    ['(s>z)', { s: 'é' }, 'TRUE'],
    // Byte order, not UTF-16 order: U+1F600 sorts after U+FFFD in UTF-8.
    ['(s>\ufffd)', { s: '😀' }, 'TRUE'],
    ['(s=a*)', { s: 'abc' }, 'TRUE'],
    ['(s=a*c)', { s: 'abc' }, 'TRUE'],
    ['(s=a*d)', { s: 'abc' }, 'FALSE'],
    ['(s=a.c*)', { s: 'abcd' }, 'TRUE'],
    ['(s=a+*)', { s: 'aaab' }, 'TRUE'],
    ['(s=[*)', { s: '[x' }, 'FALSE'],
    ['(s=a.c)', { s: 'abc' }, 'FALSE'],
    ['(s=a\\"b)', { s: 'a"b' }, 'TRUE'],
    ['(s=a"b)', { s: 'a"b' }, 'FALSE'],
    ['(s=line\\nbreak)', { s: 'line\nbreak' }, 'TRUE'],
    ['(s=*)', { s: 'carriage\rreturn' }, 'FALSE'],
    ['(s=x)', { s: 'nul\u0000' }, 'UNDEFINED'],
    ['(s=*)', { s: 'lone \ud800 surrogate' }, 'FALSE'],
    ['(s=*)', { s: 'pair 😀' }, 'TRUE'],
  ])('%s on %j is %s', (constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });
});

describe('Boolean properties', () => {
  it.each<Case>([
    ['(b=true)', { b: true }, 'TRUE'],
    ['(b=false)', { b: true }, 'FALSE'],
    ['(b=True)', { b: true }, 'FALSE'],
    ['(b=TRUE)', { b: true }, 'FALSE'],
    ['(b>false)', { b: true }, 'FALSE'],
    ['(b<=true)', { b: true }, 'FALSE'],
  ])('%s on %j is %s', (constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });
});

describe('List properties', () => {
  it.each<Case>([
    ['(l=[0.2, 1,0.1])', { l: [0.1, 0.2, 1.0] }, 'TRUE'],
    ['(l=[0.2 ,1,0.1])', { l: [0.1, 0.2, 1.0] }, 'FALSE'],
    ['(l=[x,x])', { l: ['x', 'y'] }, 'TRUE'],
    ['(l=[])', { l: [] }, 'FALSE'],
    ['(l=[])', { l: ['[]'] }, 'TRUE'],
    ['(l=[x,])', { l: ['[x,]'] }, 'TRUE'],
    ['(l=[x*,y])', { l: ['xx', 'y'] }, 'TRUE'],
    ['(l=x*)', { l: ['a', 'xb'] }, 'TRUE'],
    ['(l=true)', { l: [false, true] }, 'TRUE'],
    ['(l=b)', { l: ['a', ['b', 'c']] }, 'TRUE'],
    // yagna's lazy list equality: both items are found in the nested list, and the lengths agree.
    ['(l=[b,c])', { l: [['b', 'c'], 'a'] }, 'TRUE'],
    ['(l<z)', { l: ['a'] }, 'FALSE'],
    ['(l=*)', { l: ['a', null] }, 'FALSE'],
    ['(l=*)', { l: [{ a: 1 }] }, 'FALSE'],
  ])('%s on %j is %s', (constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });
});

describe('typed references', () => {
  it.each<Case>([
    ['(p$d=1.50)', { p: '1.5' }, 'TRUE'],
    ['(p$d>=10)', { p: '1' }, 'FALSE'],
    ['(p$d<10)', { p: '9.99999999999999999999999999999' }, 'TRUE'],
    ['(p$d>0.1)', { p: '0.10000000000000000000000000000001' }, 'TRUE'],
    ['(p$d>=10)', { p: 'dblah' }, 'UNDEFINED'],
    ['(p$d>=10)', { p: 'Infinity' }, 'UNDEFINED'],
    ['(p$d=0x10)', { p: '16' }, 'FALSE'],
    ['(p$d=1)', { p: 1 }, 'UNDEFINED'],
    ['(p$d=1)', { p: ['1'] }, 'UNDEFINED'],
    ['(p$v>=1.5.0)', { p: '1.10.0' }, 'TRUE'],
    ['(p$v<1.2.3)', { p: '1.2.3-alpha.1' }, 'TRUE'],
    ['(p$v=1.2.3+build.7)', { p: '1.2.3' }, 'TRUE'],
    ['(p$v=1.2.3)', { p: 'v1.2.3' }, 'UNDEFINED'],
    ['(p$v=1.2.3)', { p: '1.2' }, 'UNDEFINED'],
    ['(p$v=v1.2.3)', { p: '1.2.3' }, 'FALSE'],
    ['(p$v= 1.2.3)', { p: '1.2.3' }, 'FALSE'],
    ['(p$t=2024-01-01T01:00:00+01:00)', { p: '2024-01-01T00:00:00Z' }, 'TRUE'],
    ['(p$t<2024-01-01T00:00:00Z)', { p: '2023-12-31T23:59:59.999999999Z' }, 'TRUE'],
    ['(p$t>2024-01-01T00:00:00Z)', { p: '2024-01-01T00:00:00.000000001Z' }, 'TRUE'],
    ['(p$t=2024-01-01t00:00:00.5z)', { p: '2024-01-01 00:00:00.500Z' }, 'TRUE'],
    ['(p$t>2016-12-31T23:59:59.9Z)', { p: '2016-12-31T23:59:60Z' }, 'TRUE'],
    ['(p$t<0001-01-01T00:00:00Z)', { p: '0099-01-01T00:00:00Z' }, 'FALSE'],
    ['(p$t=2024-01-01T00:00:00Z)', { p: '2024-02-30T00:00:00Z' }, 'UNDEFINED'],
    ['(p$t=2024-01-01T00:00:00Z)', { p: '2024-01-01T00:00:00' }, 'UNDEFINED'],
    ['(p$t=2024-13-01T00:00:00Z)', { p: '2024-01-01T00:00:00Z' }, 'FALSE'],
  ])('%s on %j is %s', (constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });
});

describe('aspects (never carried by offers or demands)', () => {
  it.each<Case>([
    ['(a[x]=1)', { a: 1 }, 'UNDEFINED'],
    ['(a[x]=*)', { a: 1 }, 'FALSE'],
    ['(a[x]$d<1)', { a: '1' }, 'UNDEFINED'],
  ])('%s on %j is %s', (constraint, properties, expected) => {
    expect(resolve(constraint, properties)).toBe(expected);
  });
});

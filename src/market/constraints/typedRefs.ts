/**
 * Typed references `name$d`, `name$v`, `name$t` (golem-market-api.md §5.3): a Str property converted to
 * a decimal, a semantic version or an RFC 3339 instant, then compared with the value read the same way.
 */
import type Decimal from 'decimal.js';
import type { SemVer } from 'semver';
import type { ValueType } from './ast';
import { compareInstants, parseDecimal, parseInstant, parseVersion, type Instant } from './values';

export interface TypedDomain<T> {
  /** Reads constraint or property text; null when it does not convert. */
  parse(text: string): T | null;
  /** Same as `parse`, memoised (the compiled hot path converts the other side's properties). */
  parseCached(text: string): T | null;
  compare(a: T, b: T): number;
}

/** Bounds each memo: when full it starts over, which costs re-parsing, never a wrong answer. */
const CACHE_LIMIT = 10_000;

function domain<T>(parse: (text: string) => T | null, compare: (a: T, b: T) => number): TypedDomain<T> {
  const cache = new Map<string, T | null>();
  return {
    parse,
    parseCached(text) {
      let value = cache.get(text);
      if (value === undefined) {
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(text, (value = parse(text)));
      }
      return value;
    },
    compare,
  };
}

export const TYPED_DOMAINS: Readonly<Record<Exclude<ValueType, 'any'>, TypedDomain<unknown>>> = {
  decimal: domain<Decimal>(parseDecimal, (a, b) => a.cmp(b)),
  version: domain<SemVer>(parseVersion, (a, b) => a.compare(b)), // ignores build metadata, like Rust semver 0.11
  datetime: domain<Instant>(parseInstant, compareInstants),
};

/**
 * How the raw text of a constraint value is read for each property type, and how values are ordered
 * (golem-market-api.md §5.3). Shared by the interpreter and the compiler so both read text identically.
 */
import Decimal from 'decimal.js';
import { SemVer, parse as parseSemver } from 'semver';
import type { ComparisonOperator } from './ast';

/** Whether a three-way comparison result (negative/zero/positive; NaN = incomparable) satisfies `op`. */
export function operatorHolds(op: ComparisonOperator, comparison: number): boolean {
  switch (op) {
    case '=':
      return comparison === 0;
    case '<':
      return comparison < 0;
    case '<=':
      return comparison <= 0;
    case '>':
      return comparison > 0;
    case '>=':
      return comparison >= 0;
  }
}

// Rust's `str::parse::<f64>`: optional sign, `1`, `1.`, `.5`, exponents, and inf/infinity/nan in any case.
const RUST_F64 = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|infinity|nan)$/i;

/** The value as Rust parses an f64; NaN when it does not parse (NaN compares false either way). */
export function parseRustF64(text: string): number {
  if (!RUST_F64.test(text)) return NaN;
  const word = text.replace(/^[+-]/, '').toLowerCase();
  if (word === 'nan') return NaN;
  if (word.startsWith('inf')) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** Three-way numeric comparison; NaN when either side is NaN, so every operator is false. */
export function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return a === b ? 0 : NaN;
}

/** Rust's `bool::from_str`: exactly `true` or `false`. */
export function parseBoolean(text: string): boolean | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  return undefined;
}

/**
 * Byte-wise comparison of the UTF-8 encodings (= code point order). JS `<` compares UTF-16 units,
 * which disagrees only when a surrogate (a code point above U+FFFF) meets U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? utf8Rank(x) - utf8Rank(y) : x - y;
  }
  return a.length - b.length;
}

function utf8Rank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** What Str equality with wildcards needs: RegExp satisfies it, and so does the linear glob matcher below. */
export interface WildcardMatcher {
  test(text: string): boolean;
}

/** Regex syntax other than `.` and `*`; values without it are plain globs. */
const OTHER_REGEX_SYNTAX = /[\\^$+?()[\]{}|]/;
/** Quantifiers after the `*` → `.*` rewrite; more than a few in one pattern invites polynomial backtracking. */
const MAX_REGEX_QUANTIFIERS = 4;

/**
 * yagna turns a value containing `*` into the regex `^` + value with `*` → `.*` + `$`, other regex syntax left
 * active (so `.` matches any char); an invalid regex never matches (null).
 * Property values come from other parties, so a backtracking regex is a denial-of-service lever. Values that use
 * only `*` and `.` (every real-world pattern) are matched by a linear glob matcher with the same meaning; values
 * with other regex syntax still get a regex, but never one with groups or many quantifiers (those are null).
 * The `u` flag makes `.` match a whole code point and rejects the loose escapes, as Rust's regex does.
 */
export function wildcardPattern(value: string): WildcardMatcher | null {
  if (!OTHER_REGEX_SYNTAX.test(value)) return globMatcher(Array.from(value));
  const source = value.split('*').join('.*');
  if (source.includes('(') || (source.match(/[*+?{]/g)?.length ?? 0) > MAX_REGEX_QUANTIFIERS) return null;
  try {
    return new RegExp(`^${source}$`, 'u');
  } catch {
    return null;
  }
}

/** `*` = any run of code points, `.` = any one code point; greedy with one backtrack point, O(text × pattern). */
function globMatcher(pattern: string[]): WildcardMatcher {
  return {
    test(text: string): boolean {
      const chars = Array.from(text);
      let p = 0;
      let t = 0;
      let starP = -1;
      let starT = 0;
      while (t < chars.length) {
        if (p < pattern.length && pattern[p] !== '*' && (pattern[p] === '.' || pattern[p] === chars[t])) {
          p++;
          t++;
        } else if (p < pattern.length && pattern[p] === '*') {
          starP = p++;
          starT = t;
        } else if (starP >= 0) {
          p = starP + 1;
          t = ++starT;
        } else {
          return false;
        }
      }
      while (p < pattern.length && pattern[p] === '*') p++;
      return p === pattern.length;
    },
  };
}

/**
 * Items of list syntax `[a,b,…]` (yagna's `parse_prop_ref_as_list`), or null when `value` is not a list.
 * Items cannot contain `[`, `,` or `]`; leading whitespace of an item is dropped, trailing kept; every
 * item must consume at least one character, so `[]` and `[a,]` are not lists but `[a, ]` is.
 */
export function parseListSyntax(value: string): string[] | null {
  const inner = /^\[([^[\]]*)\]$/.exec(value)?.[1];
  if (inner === undefined) return null;
  const raw = inner.split(',');
  if (raw.includes('')) return null;
  return raw.map((item) => item.replace(/^[ \t\r\n]+/, ''));
}

// bigdecimal's `from_str`: sign, digits with an optional point, optional exponent; no Infinity/NaN.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

export function parseDecimal(text: string): Decimal | null {
  return DECIMAL.test(text) ? new Decimal(text) : null;
}

/** Strict `MAJOR.MINOR.PATCH[-pre][+build]`; node-semver alone would also take `v1.2.3` and surrounding spaces. */
export function parseVersion(text: string): SemVer | null {
  return /^\d/.test(text) && text.trim() === text ? parseSemver(text) : null;
}

/** An instant with chrono's nanosecond precision (a JS Date keeps only milliseconds). */
export interface Instant {
  readonly seconds: number;
  /** 0 ≤ nanos < 2e9: a leap second (`:60`) is second 59 plus a full extra second of nanos, as in chrono. */
  readonly nanos: number;
}

const RFC3339 = new RegExp(
  String.raw`^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})[Tt ](?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})` +
    String.raw`(?:\.(?<fraction>\d+))?(?:[Zz]|(?<sign>[+-])(?<offsetHours>\d{2}):(?<offsetMinutes>\d{2}))$`,
);
const RFC3339_NUMBERS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'offsetHours', 'offsetMinutes'];

/** chrono's `DateTime::parse_from_rfc3339`, as an instant. */
export function parseInstant(text: string): Instant | null {
  const fields = RFC3339.exec(text)?.groups;
  if (fields === undefined) return null;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = RFC3339_NUMBERS.map((name) =>
    Number(fields[name] ?? 0),
  );
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) {
    return null;
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, keeps years 0..99 literal
  if (day < 1 || date.getUTCDate() !== day) return null; // e.g. February 30th rolled over
  date.setUTCHours(hour, minute, Math.min(second, 59));
  const offset = (fields.sign === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  const nanos = Number((fields.fraction ?? '').slice(0, 9).padEnd(9, '0')); // chrono ignores digits past 9
  return { seconds: date.getTime() / 1000 - offset, nanos: nanos + (second === 60 ? 1e9 : 0) };
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.seconds - b.seconds || a.nanos - b.nanos;
}

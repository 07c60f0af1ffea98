/**
 * Flat properties typed for matching (golem-market-api.md §5.2): yagna serialises each value to JSON and
 * parses that text back as a literal, and a value that fails is silently treated as absent.
 *
 * Literals are plain JS values (a Str is a string, Number a number, Boolean a boolean, List an array)
 * rather than wrapper objects: evaluation then reads the value straight out of the Map entry, which
 * halves the memory it touches per comparison.
 */
import { internalize } from './internalize';

/** Str: the JSON-escaped text between the quotes, as yagna compares it (`a"b` is `a\"b`). */
export type Literal = string | number | boolean | readonly Literal[];

/** Name → typed value of every parsable property. Build it once per subscription. */
export type TypedProperties = ReadonlyMap<string, Literal>;

export function toTypedProperties(flat: Readonly<Record<string, unknown>>): TypedProperties {
  const typed = new Map<string, Literal>();
  for (const [name, value] of Object.entries(flat)) {
    const literal = toLiteral(value);
    if (literal !== null) typed.set(internalize(name), literal);
  }
  return typed;
}

/**
 * yagna's string literal accepts only the escapes `\" \\ \n \t \0`, but serde_json writes other control
 * characters as `\r`, `\b`, `\f` or `\u00XX` (NUL included), so strings containing them never parse.
 * Lone surrogates cannot exist in Rust strings at all.
 */
const UNPARSABLE_STRING =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this matches
  /[\u0000-\u0008\u000b-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The literal yagna would read from `value`'s JSON text, or null when the property counts as absent. */
export function toLiteral(value: unknown): Literal | null {
  switch (typeof value) {
    case 'string':
      return UNPARSABLE_STRING.test(value) ? null : internalize(JSON.stringify(value).slice(1, -1));
    case 'number':
      return Number.isFinite(value) ? value : null; // JSON has no NaN/Infinity
    case 'boolean':
      return value;
    default: {
      if (!Array.isArray(value)) return null; // null and objects
      const items = value.map(toLiteral);
      return items.includes(null) ? null : (items as Literal[]);
    }
  }
}

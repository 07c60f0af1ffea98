/**
 * Required equalities: what a constraint demands of the other side's properties, in a form an index can
 * look up. A requirement `{name, tokens}` holds when the property `name` yields one of `tokens`
 * (see `literalTokens`); the constraint can only be TRUE when all its requirements hold.
 *
 * Tokens encode the equality of §5.3 for plain values: Str `s:<text>`, Number `n:<String(number)>`,
 * Boolean `b:true|false`; a List yields the tokens of all its elements (a plain value equals a list when
 * it equals any element). `(x=1)` accepts the Str "1" and any Number equal to 1, so its tokens are
 * `s:1` and `n:1`.
 */
import type { ConstraintNode } from './ast';
import type { Literal } from './typedProperties';
import { parseBoolean, parseRustF64 } from './values';

export interface RequiredEquality {
  readonly name: string;
  readonly tokens: readonly string[];
}

/**
 * Plain `=` comparisons conjoined at the top (through nested `&`); `|`, `!`, typed references, aspects,
 * wildcards and list syntax are left out, which only makes the set smaller, never wrong.
 */
export function requiredEqualities(node: ConstraintNode): RequiredEquality[] {
  switch (node.kind) {
    case 'and':
      return node.children.flatMap(requiredEqualities);
    case 'compare': {
      const { ref, op, value, list } = node;
      const indexable =
        op === '=' && ref.aspect === null && ref.valueType === 'any' && list === null && !value.includes('*');
      return indexable ? [{ name: ref.name, tokens: valueTokens(value) }] : [];
    }
    default:
      return [];
  }
}

/** The tokens of every property value that equals the plain (no wildcard, no list) `value`. */
function valueTokens(value: string): string[] {
  const tokens = [`s:${value}`];
  const number = parseRustF64(value);
  if (!Number.isNaN(number)) tokens.push(`n:${number}`);
  if (parseBoolean(value) !== undefined) tokens.push(`b:${value}`);
  return tokens;
}

/** The tokens a property value yields (a List: those of all its elements, duplicates possible). */
export function literalTokens(literal: Literal): string[] {
  switch (typeof literal) {
    case 'string':
      return [`s:${literal}`];
    case 'number':
      return [`n:${literal}`]; // String(-0) is "0", and -0 === 0
    case 'boolean':
      return [`b:${literal}`];
    default:
      return literal.flatMap(literalTokens);
  }
}

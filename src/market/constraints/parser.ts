/**
 * Parser of the constraint language as yagna accepts it (golem-market-api.md §5.1), with one deliberate
 * difference: text after the top-level filter is an error instead of being silently ignored.
 */
import type { ComparisonOperator, ConstraintNode, EmptyNode, PropertyRef, ValueType } from './ast';
import { MAX_CONSTRAINT_BYTES, MAX_CONSTRAINT_TERMS } from './limits';
import { parseListSyntax } from './values';

export class ConstraintParseError extends Error {
  constructor(
    /** 0-based index into the constraint string. */
    readonly position: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`Invalid constraints at position ${position}: expected ${expected}, found ${found}`);
    this.name = 'ConstraintParseError';
  }
}

/** A constraint or a properties map over a size limit; callers answer it like a parse error (400). */
export class ConstraintLimitError extends ConstraintParseError {
  constructor(message: string) {
    super(0, 'input within the limits', 'more');
    this.message = message;
    this.name = 'ConstraintLimitError';
  }
}

/** Deep nesting would overflow the stack of the recursive parser, compiler and interpreter. */
export const MAX_NESTING = 128;

const EMPTY: EmptyNode = Object.freeze({ kind: 'empty' });
const OPERATORS: readonly ComparisonOperator[] = ['<=', '>=', '=', '<', '>']; // two-char operators first
const EXPECTED_OPERATOR = "one of '=', '<', '<=', '>', '>='";
/** Skipped around `(`, `&`, `|`, `!`, operands and the closing `)`, never inside `attr op value`. */
const WHITESPACE = /^[ \t\r\n]$/;
const TYPE_CODES: Readonly<Record<string, ValueType>> = { d: 'decimal', v: 'version', t: 'datetime' };

/** @throws ConstraintParseError, or its ConstraintLimitError when the text is over a size limit. */
export function parseConstraints(text: string): ConstraintNode {
  // Checked before parsing, so refusing an oversized constraint costs no more than measuring it.
  if (text.length > MAX_CONSTRAINT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_CONSTRAINT_BYTES) {
    throw new ConstraintLimitError(`Constraints are longer than the limit of ${MAX_CONSTRAINT_BYTES} bytes`);
  }
  return new Parser(text).parse();
}

class Parser {
  private pos = 0;
  private terms = 0;

  constructor(private readonly text: string) {}

  parse(): ConstraintNode {
    let node: ConstraintNode;
    if (this.text.startsWith('()')) {
      // The empty filter is only recognised as the very first two characters.
      this.pos = 2;
      node = EMPTY;
    } else {
      this.skipWhitespace();
      node = this.parseFilter(0);
    }
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('end of input');
    return node;
  }

  private parseFilter(depth: number): ConstraintNode {
    if (depth >= MAX_NESTING) this.fail(`at most ${MAX_NESTING} nested filters`);
    this.expect('(', "'('");
    this.skipWhitespace();
    switch (this.text[this.pos]) {
      case '&':
        this.pos++;
        return { kind: 'and', children: this.parseOperands(depth) };
      case '|':
        this.pos++;
        return { kind: 'or', children: this.parseOperands(depth) };
      case '!': {
        this.pos++;
        this.skipWhitespace();
        const child = this.parseFilter(depth + 1);
        this.skipWhitespace();
        this.expect(')', "')'");
        return { kind: 'not', child };
      }
      default:
        return this.parseItem();
    }
  }

  /** Operands of `&`/`|` up to the closing `)`; `()` is a TRUE operand here. */
  private parseOperands(depth: number): ConstraintNode[] {
    const children: ConstraintNode[] = [];
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '(') break;
      if (this.text.startsWith('()', this.pos)) {
        this.pos += 2;
        children.push(EMPTY);
      } else {
        children.push(this.parseFilter(depth + 1));
      }
    }
    this.expect(')', "'(' or ')'");
    return children;
  }

  /** `attr=*)` or `attr op value)`. Neither attr nor value is trimmed; the value runs to the first `)`. */
  private parseItem(): ConstraintNode {
    if (++this.terms > MAX_CONSTRAINT_TERMS) {
      throw new ConstraintLimitError(`Constraints have more than the limit of ${MAX_CONSTRAINT_TERMS} terms`);
    }
    const start = this.pos;
    if (start >= this.text.length || '=<>~)'.includes(this.text[start])) {
      this.fail("'&', '|', '!' or a property name");
    }
    while (this.pos < this.text.length && !'=<>~'.includes(this.text[this.pos])) this.pos++;
    const ref = this.parseRef(start, this.pos);

    if (this.text.startsWith('=*', this.pos)) {
      // Presence wins over a wildcard value, so `(a=*b)` is an error, not `a` matching `*b`.
      this.pos += 2;
      this.skipWhitespace();
      this.expect(')', "')'");
      return { kind: 'present', ref };
    }
    const op = OPERATORS.find((candidate) => this.text.startsWith(candidate, this.pos));
    if (op === undefined) this.fail(EXPECTED_OPERATOR);
    this.pos += op.length;

    const valueStart = this.pos;
    const close = this.text.indexOf(')', valueStart);
    if (close < 0) {
      this.pos = this.text.length;
      this.fail(valueStart === this.text.length ? 'a value' : "')'");
    }
    const value = this.text.slice(valueStart, close);
    this.pos = close + 1;
    return { kind: 'compare', ref, op, value, list: parseListSyntax(value) };
  }

  /** `name[aspect]$t` inside text[start, end); name and aspect stop at `[`, `]` and `$`. */
  private parseRef(start: number, end: number): PropertyRef {
    const stop = (from: number): number => {
      let i = from;
      while (i < end && !'[]$'.includes(this.text[i])) i++;
      return i;
    };
    let i = stop(start);
    const name = this.text.slice(start, i);
    let aspect: string | null = null;
    // At `end` sits the operator, so a delimiter test there fails by itself.
    if (this.text[i] === '[') {
      const close = stop(i + 1);
      if (this.text[close] !== ']') this.fail("']'", close);
      aspect = this.text.slice(i + 1, close);
      i = close + 1;
    }
    let valueType: ValueType = 'any';
    if (this.text[i] === '$') {
      valueType = TYPE_CODES[this.text[i + 1]] ?? this.fail("a type code 'd', 'v' or 't'", i + 1);
      i += 2;
    }
    if (i < end) this.fail(`${EXPECTED_OPERATOR} after the property reference`, i);
    return { name, aspect, valueType };
  }

  private expect(char: string, expected: string): void {
    if (this.text[this.pos] !== char) this.fail(expected);
    this.pos++;
  }

  private skipWhitespace(): void {
    while (WHITESPACE.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private fail(expected: string, at = this.pos): never {
    const codePoint = this.text.codePointAt(at);
    throw new ConstraintParseError(at, expected, codePoint === undefined ? 'end of input' : `'${shown(codePoint)}'`);
  }
}

/** A character as an error message shows it: control characters escaped, as JSON writes them. */
function shown(codePoint: number): string {
  const char = String.fromCodePoint(codePoint);
  return codePoint < 0x20 ? JSON.stringify(char).slice(1, -1) : char;
}

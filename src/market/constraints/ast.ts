/** Syntax tree of a parsed constraint string (golem-market-api.md §5.1). */

export type ComparisonOperator = '=' | '<' | '<=' | '>' | '>=';

/** Type hint written on the reference (`name$d`, `name$v`, `name$t`); `any` when absent. */
export type ValueType = 'any' | 'decimal' | 'version' | 'datetime';

/** `name[aspect]$type`: the left-hand side of a comparison or presence test. */
export interface PropertyRef {
  readonly name: string;
  /** Offers and demands cannot carry aspects, so an aspect reference never resolves. */
  readonly aspect: string | null;
  readonly valueType: ValueType;
}

/** `()` (only as the whole string or as an operand of `&`/`|`): TRUE. */
export interface EmptyNode {
  readonly kind: 'empty';
}

export interface AndNode {
  readonly kind: 'and';
  readonly children: readonly ConstraintNode[];
}

export interface OrNode {
  readonly kind: 'or';
  readonly children: readonly ConstraintNode[];
}

export interface NotNode {
  readonly kind: 'not';
  readonly child: ConstraintNode;
}

/** `(name=*)` */
export interface PresentNode {
  readonly kind: 'present';
  readonly ref: PropertyRef;
}

/** `(name op value)`; `value` is the raw text up to the closing `)`, never trimmed. */
export interface CompareNode {
  readonly kind: 'compare';
  readonly ref: PropertyRef;
  readonly op: ComparisonOperator;
  readonly value: string;
  /** Items of `value` when it is list syntax `[a,b]` (see `parseListSyntax`), else null. */
  readonly list: readonly string[] | null;
}

export type ConstraintNode = EmptyNode | AndNode | OrNode | NotNode | PresentNode | CompareNode;

/**
 * Three-valued logic of constraint evaluation (golem-market-api.md §5.3).
 *
 * Encoded as numbers ordered FALSE < UNDEFINED < TRUE, so Kleene logic is arithmetic:
 * AND is the minimum, OR the maximum and NOT is `2 - x`. Numbers, not strings, keep the
 * compiled predicates monomorphic and allocation-free.
 */
export const Tri = { FALSE: 0, UNDEFINED: 1, TRUE: 2 } as const;
export type Tri = (typeof Tri)[keyof typeof Tri];

export type TriName = 'FALSE' | 'UNDEFINED' | 'TRUE';
const NAMES: readonly TriName[] = ['FALSE', 'UNDEFINED', 'TRUE'];

export function triName(value: Tri): TriName {
  return NAMES[value];
}

export function triOf(holds: boolean): Tri {
  return holds ? Tri.TRUE : Tri.FALSE;
}

export function triNot(value: Tri): Tri {
  return (2 - value) as Tri;
}

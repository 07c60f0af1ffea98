/** Shared by the constraint tests: evaluate a constraint string both ways over JSON properties. */
import * as path from 'path';
import * as fs from 'fs';
import {
  compile,
  evaluate,
  flattenProperties,
  parseConstraints,
  toTypedProperties,
  triName,
  type TriName,
} from '../../../src/market/constraints';

/** Interpreter and compiled predicate must agree; returns their common answer (or both, to show a mismatch). */
export function resolve(constraint: string, properties: unknown): TriName | string {
  const ast = parseConstraints(constraint);
  const typed = toTypedProperties(flattenProperties(properties));
  const interpreted = triName(evaluate(ast, typed));
  const compiled = triName(compile(ast)(typed));
  return interpreted === compiled ? interpreted : `interpreter ${interpreted} / compiled ${compiled}`;
}

export interface Vectors {
  expressions: { id: string; constraint: string; properties: unknown; expected: TriName }[];
  matches: {
    id: string;
    demand: { properties: unknown; constraints: string };
    offer: { properties: unknown; constraints: string };
    expected: 'Yes' | 'No' | 'Undefined';
  }[];
  flatten: { input: unknown; output: Record<string, unknown> }[];
  parse: { mustFail: string[]; mustParse: string[] };
}

/** The constraint vectors, vendored under test/vectors (see its README for where they come from). */
export function loadVectors(): Vectors {
  const file = path.resolve(__dirname, '../../vectors/constraints.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Vectors;
}

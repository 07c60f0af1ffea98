import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Invalid } from '../kernel/errors';
import { schemaDir } from '../kernel/paths';

/** One ajv instance holding every schema of schemas/ (each file's `$id` is its file name), loaded on first use. */
let ajv: Ajv | undefined;
let schemaFiles: string[] = [];

function schemas(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  schemaFiles = fs.readdirSync(schemaDir).filter((f) => f.endsWith('.json'));
  for (const file of schemaFiles) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')) as object);
  }
  return ajv;
}

/**
 * Loads and compiles every schema now: an API instance does this as it starts, so the first request to validate a
 * body does not pay for it (ajv here: ~65 ms to load them all, then 1–30 ms to compile each).
 */
export function compileSchemas(): void {
  const loaded = schemas();
  for (const file of schemaFiles) loaded.getSchema(file);
}

/** A type guard for `schemas/<schemaFile>` that throws Invalid naming the first problem. */
export function validator<T>(schemaFile: string): (value: unknown) => value is T {
  let validate: ValidateFunction | undefined;
  return (value: unknown): value is T => {
    validate ??= schemas().getSchema(schemaFile);
    if (!validate) throw new Error(`Unknown schema ${schemaFile}`);
    if (validate(value)) return true;
    const error = validate.errors?.[0];
    const where = error?.instancePath ? `body${error.instancePath.replace(/\//g, '.')}` : 'body';
    throw new Invalid(`Invalid request body: ${where} ${error?.message ?? 'is invalid'}`);
  };
}

import type { JobSpec } from '../jobs/record';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The file name of input `index` under inputs/: its given name when it is a plain file name, else its index. */
export function inputFileName(spec: JobSpec, index: number): string {
  const name = spec.inputNames?.[index];
  return name !== undefined && SAFE_NAME.test(name) && name !== '..' ? name : String(index);
}

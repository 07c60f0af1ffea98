/**
 * Property normalisation (golem-market-api.md §5.2): flat, nested or mixed JSON → the flat convention
 * `{"golem.inf.mem.gib": 1}` that is stored, matched and echoed back.
 */
import { MAX_PROPERTIES } from './limits';
import { ConstraintLimitError } from './parser';
import { compareUtf8 } from './values';

/** The key whose value is assigned to the enclosing object's own path: `{"a":{"@tag":2}}` → `a=2`. */
const TAG = '@tag';

/**
 * Keys are joined with `.`; arrays and empty objects are kept as values; an empty or non-object top
 * level is stored under `""`. Keys are visited in byte order so the later source key wins a collision,
 * as in yagna (serde_json's maps are sorted). The result's keys are in byte order too (except that JS
 * always lists integer-like keys first).
 * @throws ConstraintLimitError when there are more than MAX_PROPERTIES properties.
 */
export function flattenProperties(input: unknown): Record<string, unknown> {
  const flat = new Map<string, unknown>();
  flattenInto(flat, '', input);
  return Object.fromEntries([...flat].sort(([a], [b]) => compareUtf8(a, b)));
}

function flattenInto(flat: Map<string, unknown>, prefix: string, value: unknown): void {
  if (!isNonEmptyObject(value)) {
    flat.set(prefix, value);
    if (flat.size > MAX_PROPERTIES) {
      throw new ConstraintLimitError(`More properties than the limit of ${MAX_PROPERTIES}`);
    }
    return;
  }
  for (const key of Object.keys(value).sort(compareUtf8)) {
    if (key === TAG) flat.set(prefix, value[key]);
    else flattenInto(flat, prefix === '' ? key : `${prefix}.${key}`, value[key]);
  }
}

function isNonEmptyObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}

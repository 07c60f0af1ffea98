/**
 * Timestamps of the agreement API. Agreement events carry microsecond timestamps (unique per viewer, used by
 * clients as an exclusive cursor), which a JS Date cannot hold, so they travel as integer µs since the epoch.
 */

const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** µs since the epoch of an RFC 3339 timestamp (sub-µs digits are dropped), or undefined when it is not one. */
export function parseRfc3339Micros(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1].replace(/[t ]/, 'T')}${m[3].toUpperCase()}`);
  if (!Number.isFinite(seconds)) return undefined;
  const micros = Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds * 1000 + micros;
}

/** RFC 3339 UTC with six fractional digits, e.g. `2025-01-02T03:04:05.123456Z`. */
export function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  return new Date(ms).toISOString().replace('Z', `${String(micros - ms * 1000).padStart(3, '0')}Z`);
}

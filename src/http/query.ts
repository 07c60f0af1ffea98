import type { Context } from 'koa';
import { Invalid } from '../kernel/errors';
import { DEFAULT_COLLECT_TIMEOUT_S, DEFAULT_MAX_EVENTS, MAX_EVENTS_LIMIT } from '../market/limits';
import type { Reason } from '../types/schemas';
import { validator } from './validate';

/** Wire conventions the Market API routes share: query parameters, reason bodies, id responses (one rule each). */

/** A query parameter given at most once. */
export function queryValue(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new Invalid(`Query parameter '${name}' was given more than once.`);
  return value;
}

/** `timeout` in seconds (float ≥ 0, default 5), capped by the configured maximum; returned in ms. */
export function timeoutMs(ctx: Context, maxSeconds: number): number {
  const raw = queryValue(ctx, 'timeout');
  if (raw === undefined) return Math.min(DEFAULT_COLLECT_TIMEOUT_S, maxSeconds) * 1000;
  const seconds = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new Invalid(`Invalid timeout '${raw}', should be a non-negative number of seconds.`);
  return Math.min(seconds, maxSeconds) * 1000;
}

/** `maxEvents`: a whole number in 1..limit. */
export function maxEvents(ctx: Context, fallback = DEFAULT_MAX_EVENTS, limit = MAX_EVENTS_LIMIT): number {
  const raw = queryValue(ctx, 'maxEvents');
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= limit))
    throw new Invalid(`Invalid maxEvents '${raw}', should be between 1 and ${limit}.`);
  return value;
}

const isReason = validator<Reason>('Reason.json');

/** A Reason body, or null for a `null` or empty body (yagna 400s on an empty one; we are lenient, DESIGN §3.1). */
export function reasonBody(ctx: Context): Reason | null {
  const raw = ctx.request.rawBody;
  if (raw === undefined || raw.trim() === '') return null;
  const body: unknown = ctx.request.body;
  if (body === null) return null;
  isReason(body);
  return body as Reason;
}

/** An id as the body: a JSON string with a JSON content type (golem-js checks `typeof result === "string"`). */
export function sendId(ctx: Context, id: string, status: number): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(id);
}

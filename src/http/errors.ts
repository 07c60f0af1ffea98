import type { Context, Middleware } from 'koa';
import { DomainError, type ErrorKind } from '../kernel/errors';
import type { Metrics } from '../kernel/metrics';
import { isConnectionError } from '../store/redis';

/** The one table from a domain error's kind to its HTTP status. */
export const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  paymentRequired: 402,
  forbidden: 403,
  notFound: 404,
  timeout: 408,
  conflict: 409,
  gone: 410,
  tooLarge: 413,
  unavailable: 503,
};

/**
 * The wire style of a face's errors: yagna answers `{"message"}` (and 401 as plain text), Ocean clients read
 * `{"message","error"}`. The path decides: Bourse's own and Ocean's routes live under /api/, so they answer JSON
 * even when they fail before their own middleware ran, 401 included.
 */
export type ErrorStyle = 'yagna' | 'ocean';

export const UNAVAILABLE_MESSAGE = 'Service unavailable: the data store is not reachable, try again shortly';
/** Seconds a client is asked to wait after a 503 (Redis reconnects within about a second). */
const RETRY_AFTER_SECONDS = '1';

function styleOf(ctx: Context): ErrorStyle {
  return ctx.path.startsWith('/api/') ? 'ocean' : 'yagna';
}

/** Writes an error response in the face's style. */
export function sendError(ctx: Context, status: number, message: string, details?: Record<string, unknown>): void {
  ctx.status = status;
  if (status === 503) ctx.set('Retry-After', RETRY_AFTER_SECONDS);
  const style = styleOf(ctx);
  if (style === 'yagna' && status === 401) {
    ctx.type = 'text/plain';
    ctx.body = message;
    return;
  }
  ctx.body = style === 'ocean' ? { message, error: message, ...details } : { message, ...details };
}

/** Koa's and the router's own errors (405, 501, malformed URLs) carry a status and an exposable message. */
function httpStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** A stack overflow: recursion over client input that nests too deeply. */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

/**
 * The one place errors become HTTP responses: domain errors by kind, an unreachable Redis as 503, Koa's own 4xx
 * with their message, a stack overflow as 400 (input nested too deeply), anything else a 500 whose details stay in
 * the log. Plain-text answers of the router (405, 501) and unmatched routes become JSON too; their headers (Allow)
 * stay. No 5xx is ever the client's fault.
 */
export function errorMapper(metrics: Metrics): Middleware {
  // Not an async function: a plain promise continuation keeps no suspended frame per waiting long-poll.
  return (ctx, next) =>
    next().then(
      () => {
        // The router answers a method it does not know at all (PROPFIND) with 501; for a client that is the same
        // mistake as any other method the path does not serve, so it gets the same 405 (or 404 for an unknown path).
        const routerAnswer = ctx.body === undefined || typeof ctx.body === 'string';
        const unknownMethod = ctx.status === 501 && routerAnswer;
        if ((ctx.status === 404 && ctx.body === undefined) || (unknownMethod && !ctx.response.get('Allow'))) {
          sendError(ctx, 404, `No route for ${ctx.method} ${ctx.path}`);
        } else if ((ctx.status === 405 && routerAnswer) || unknownMethod) {
          sendError(ctx, 405, `Method ${ctx.method} is not allowed on ${ctx.path}`);
        }
      },
      (err: unknown) => {
        if (err instanceof DomainError) {
          sendError(ctx, STATUS_OF[err.kind], err.message, err.details);
        } else if (isConnectionError(err)) {
          metrics.redisErrors.inc();
          sendError(ctx, 503, UNAVAILABLE_MESSAGE);
        } else if (isStackOverflow(err)) {
          // The body middleware refuses deep JSON; this is the backstop for any other input that recurses too deep.
          ctx.state.log?.warn({ err }, 'input nested too deeply');
          sendError(ctx, 400, 'Input is nested too deeply');
        } else if (httpStatusOf(err) !== undefined) {
          const headers = (err as { headers?: Record<string, string> }).headers;
          if (headers) ctx.set(headers);
          sendError(ctx, httpStatusOf(err)!, (err as Error).message);
        } else {
          ctx.state.log?.error({ err }, 'unhandled error');
          sendError(ctx, 500, 'Internal server error');
        }
      },
    );
}

import type { Middleware } from 'koa';
import { AppError } from '../../errors';
import { isConnectionError } from '../../store/redis';
import type { Metrics } from '../metrics';

/**
 * The one place errors become HTTP responses. Typed AppErrors carry their status; an unreachable
 * Redis is a 503 with a message; anything else is a 500 whose details stay in the log.
 * Routes under an "ocean" error style (compute, auth) also carry the text under `error`.
 */
export function errorMapper(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { message: `No route for ${ctx.method} ${ctx.path}` };
      }
    } catch (err) {
      let status: number;
      let message: string;
      let plainText = false;
      let extra: Record<string, unknown> | undefined;
      if (err instanceof AppError) {
        ({ status, message } = err);
        plainText = err.options.plainText === true;
        extra = err.options.extra;
      } else if (isConnectionError(err)) {
        metrics.redisErrors.inc();
        status = 503;
        message = 'Service unavailable: the data store is not reachable, try again shortly';
      } else {
        status = 500;
        message = 'Internal server error';
        ctx.state.log?.error({ err }, 'unhandled error');
      }
      ctx.status = status;
      if (plainText) {
        ctx.type = 'text/plain';
        ctx.body = message;
      } else {
        // Ocean clients read `error`; routes under /api/services are Ocean's even when failing before their middleware
        // ran.
        const ocean = ctx.state.errorStyle === 'ocean' || ctx.path.startsWith('/api/services/');
        ctx.body = ocean ? { message, error: message, ...extra } : { message, ...extra };
      }
    }
  };
}

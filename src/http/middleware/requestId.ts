import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const ACCEPTABLE_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every call a request id (the caller's X-Request-Id when sane), echoes it, and logs one line per request.
 * The request's child logger (`ctx.state.log`) is built only when something logs: on the hot path, below the info
 * level, nothing does.
 */
export function requestId(log: Logger): Middleware {
  // Not an async function: a plain promise continuation keeps no suspended frame per waiting long-poll.
  return (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = ACCEPTABLE_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = id;
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= log.child({ requestId: id })) });
    ctx.set('X-Request-Id', id);
    if (!log.isLevelEnabled('info')) return next();
    const started = process.hrtime.bigint();
    return next().finally(() => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      (ctx.state.log as Logger).info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
  };
}

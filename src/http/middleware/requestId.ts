import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { RequestState } from '../requestState';

const ACCEPTABLE_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every call a request id (the caller's X-Request-Id when sane), echoes it, starts the request's state
 * (`ctx.state`, a RequestState) and logs one line per request when the info level is on.
 */
export function requestId(log: Logger): Middleware {
  // Not an async function: a plain promise continuation keeps no suspended frame per waiting long-poll.
  return (ctx, next) => {
    const given = ctx.get('x-request-id');
    const id = ACCEPTABLE_ID.test(given) ? given : randomUUID();
    const state = new RequestState(id, log, ctx.res);
    ctx.state = state;
    ctx.set('X-Request-Id', id);
    if (!log.isLevelEnabled('info')) return next();
    const started = process.hrtime.bigint();
    return next().finally(() => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      state.log.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
  };
}

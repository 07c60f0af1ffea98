import type { Middleware } from 'koa';

/**
 * Exposes `ctx.state.abort`, an AbortSignal that fires when the client goes away before the response
 * is sent, so a long-poll releases its subscription at once instead of waiting out its timeout.
 */
export function abortSignal(): Middleware {
  return async (ctx, next) => {
    const controller = new AbortController();
    const onClose = (): void => {
      if (!ctx.res.writableFinished) controller.abort();
    };
    ctx.res.once('close', onClose);
    ctx.state.abort = controller.signal;
    try {
      await next();
    } finally {
      ctx.res.off('close', onClose);
    }
  };
}

import type { Middleware } from 'koa';
import type { Metrics } from '../../kernel/metrics';

/** Counts and times requests by route template (not raw path, to keep label cardinality bounded). */
export function requestMetrics(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const end = metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      const labels = {
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched',
        method: ctx.method,
        status: String(ctx.status),
      };
      metrics.httpRequests.inc(labels);
      end(labels);
    }
  };
}

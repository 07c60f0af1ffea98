import type { Middleware } from 'koa';
import type { Metrics } from '../../kernel/metrics';

/** Counts and times requests by route template (not raw path, to keep label cardinality bounded). */
export function requestMetrics(metrics: Metrics): Middleware {
  // Not an async function: a plain promise continuation keeps no suspended frame per waiting long-poll.
  return (ctx, next) => {
    const end = metrics.httpDuration.startTimer();
    return next().finally(() => {
      const labels = {
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched',
        method: ctx.method,
        status: String(ctx.status),
      };
      metrics.httpRequests.inc(labels);
      end(labels);
    });
  };
}

import Koa from 'koa';
import type Router from '@koa/router';
import type { Core } from '../kernel/core';
import { Unavailable } from '../kernel/errors';
import { jsonBody } from './middleware/body';
import { errorMapper, UNAVAILABLE_MESSAGE } from './errors';
import { requestMetrics } from './middleware/metrics';
import { requestId } from './middleware/requestId';
import { routesBySegment } from './segmentRouting';
import { compileSchemas } from './validate';

const UNGUARDED = new Set(['/health', '/ready', '/metrics']);

/** Builds the Koa application of one instance around its mounted router. */
export function createApp(core: Core, router: Router): Koa {
  compileSchemas();
  // Koa's body setter tests every object body against these globals, which Node loads lazily (Response pulls in
  // undici): about 60 ms on the first JSON response of a process. Loaded here, at start, instead.
  void [ReadableStream, Blob, Response];
  const app = new Koa({ proxy: true });
  // A client leaving in the middle of a streamed response (log tail, SSE scan) is normal, not an error worth a stack
  // trace.
  app.on('error', (err: Error & { code?: string }) => {
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
    core.log.error({ err }, 'unhandled application error');
  });

  app.use(requestId(core.log));
  app.use(requestMetrics(core.metrics));
  app.use(errorMapper(core.metrics));
  app.use((ctx, next) => {
    // Fail fast while Redis is down rather than letting every route discover it separately.
    if (!UNGUARDED.has(ctx.path) && core.redis.status !== 'ready') {
      core.metrics.redisErrors.inc();
      throw new Unavailable(UNAVAILABLE_MESSAGE);
    }
    return next();
  });
  app.use(jsonBody(core.config.bodyLimitBytes));
  app.use(routesBySegment(router));
  return app;
}

import type Router from '@koa/router';
import type { Core } from '../../kernel/core';
import { Unavailable } from '../../kernel/errors';

const READY_TIMEOUT_MS = 1000;

/**
 * /health (the process answers), /ready (Redis answers on both connections and scripts are loaded; a 503 carries
 * Retry-After; the body says so when an embedded runner is off), /metrics (Prometheus).
 */
export function mountHealthRoutes(
  router: Router,
  core: Core,
  runnerState: () => string | undefined = () => undefined,
): void {
  const ping = async (): Promise<boolean> => {
    if (core.redis.status !== 'ready') return false;
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), READY_TIMEOUT_MS).unref());
    return Promise.race([
      core.redis.ping().then(
        (r) => r === 'PONG',
        () => false,
      ),
      timeout,
    ]);
  };
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    if (!(await ping())) throw new Unavailable('Not ready: Redis is not reachable');
    // Without the subscriber, long-polls would hear of nothing until their timeout.
    if (core.subscriber.status !== 'ready') throw new Unavailable('Not ready: the Redis subscriber is not connected');
    if (!core.scripts.loaded) throw new Unavailable('Not ready: Lua scripts are not loaded yet');
    const runner = runnerState();
    ctx.body = runner === undefined ? { status: 'ready' } : { status: 'ready', runner };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = core.metrics.registry.contentType;
    ctx.body = await core.metrics.registry.metrics();
  });
}

import type Router from '@koa/router';
import type { Core } from '../../kernel/core';

const READY_TIMEOUT_MS = 1000;

/**
 * /health (the process answers), /ready (Redis answers and scripts are loaded; says so when an embedded runner is
 * off), /metrics (Prometheus).
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
    if (!(await ping())) {
      ctx.status = 503;
      ctx.body = { message: 'Not ready: Redis is not reachable' };
    } else if (!core.scripts.loaded) {
      ctx.status = 503;
      ctx.body = { message: 'Not ready: Lua scripts are not loaded yet' };
    } else {
      const runner = runnerState();
      ctx.body = runner === undefined ? { status: 'ready' } : { status: 'ready', runner };
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = core.metrics.registry.contentType;
    ctx.body = await core.metrics.registry.metrics();
  });
}

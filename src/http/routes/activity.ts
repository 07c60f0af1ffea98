import Router from '@koa/router';
import type { Context } from 'koa';
import type { ActivityModule } from '../../activity';
import type { ActivityService } from '../../activity/service';
import { TokenService } from '../../auth/tokens';
import type { Core } from '../../kernel/core';
import { Invalid, NotFound, Unauthenticated } from '../../kernel/errors';
import { marketAuth } from '../auth';
import { queryValue, timeoutMs } from '../query';

function commandIndex(ctx: Context): number | undefined {
  const raw = queryValue(ctx, 'commandIndex');
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw)) throw new Invalid(`Invalid commandIndex '${raw}', should be a whole number.`);
  return Number(raw);
}

function body(ctx: Context): Record<string, unknown> {
  const value: unknown = ctx.request.body;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Invalid('Invalid request body: expected a JSON object.');
  return value as Record<string, unknown>;
}

/**
 * yagna's Activity API (`/activity-api/v1`) for requestors: create an activity on an approved agreement, execute
 * ExeScript batches, read their results (long-poll or `text/event-stream`), state, usage, destroy, and download the
 * files its commands published (`results/<name>`, a Bourse addition). Thin: parse, call the service, render.
 */
export function mountActivityRoutes(root: Router, core: Core, module: ActivityModule): void {
  const activities = module.service;
  const auth = marketAuth(new TokenService(core));
  const maxWait = core.config.maxLongPollSeconds;
  const identity = (ctx: Context): string => ctx.state.identity as string;
  const router = new Router({ prefix: '/activity-api/v1' });

  router.post('/activity', auth, async (ctx) => {
    const id = await activities.create(identity(ctx), body(ctx).agreementId);
    ctx.status = 201;
    ctx.body = { activityId: id };
  });
  router.post('/activity/:id/exec', auth, async (ctx) => {
    ctx.body = JSON.stringify(await activities.exec(identity(ctx), ctx.params.id, body(ctx).text));
    ctx.type = 'application/json';
  });
  router.get('/activity/:id/exec/:batchId', auth, async (ctx) => {
    const { id, batchId } = ctx.params;
    if (ctx.accepts('application/json', 'text/event-stream') === 'text/event-stream' && !ctx.query.timeout) {
      return streamBatch(ctx, core, activities, identity(ctx), id, batchId);
    }
    const index = commandIndex(ctx);
    const wait = timeoutMs(ctx, maxWait);
    ctx.body = await activities.results(identity(ctx), id, batchId, index, wait, ctx.state.abort as AbortSignal);
  });
  router.get('/activity/:id/state', auth, async (ctx) => {
    ctx.body = await activities.state(identity(ctx), ctx.params.id);
  });
  router.get('/activity/:id/usage', auth, async (ctx) => {
    ctx.body = await activities.usage(identity(ctx), ctx.params.id);
  });
  router.get('/activity/:id/agreement', auth, async (ctx) => {
    ctx.body = JSON.stringify(await activities.agreementOf(identity(ctx), ctx.params.id));
    ctx.type = 'application/json';
  });
  router.delete('/activity/:id', auth, async (ctx) => {
    await activities.destroy(identity(ctx), ctx.params.id);
    ctx.status = 200;
    ctx.body = {};
  });

  router.get('/activity/:id/results', auth, async (ctx) => {
    ctx.body = await module.results.list(identity(ctx), ctx.params.id);
  });
  router.get('/activity/:id/results/:name', auth, async (ctx) => {
    ctx.body = await module.results.download(identity(ctx), ctx.params.id, ctx.params.name);
    ctx.type = 'application/octet-stream';
  });

  root.use(router.routes(), router.allowedMethods());
}

/** The SSE face of a batch: `event: runtime` per runtime event, until the batch ends or the client leaves. */
async function streamBatch(
  ctx: Context,
  core: Core,
  activities: ActivityService,
  caller: string,
  id: string,
  batchId: string,
): Promise<void> {
  await activities.batch(caller, id, batchId); // 404 as a normal response, before the stream starts
  // The request's own abort signal is released when the handler returns; the stream outlives it.
  const gone = new AbortController();
  core.waiter.inheritGuard(ctx.state.abort as AbortSignal | undefined, gone.signal); // a revoked token ends it
  const events = activities.follow(caller, id, batchId, gone.signal);
  const res = ctx.res;
  res.once('close', () => gone.abort());
  ctx.respond = false;
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  const write = (batch: unknown[]): void => {
    for (const event of batch) res.write(`event: runtime\ndata: ${JSON.stringify(event)}\n\n`);
  };
  void (async () => {
    try {
      for await (const batch of events) write(batch);
    } catch (err) {
      // NotFound: the activity went; Unauthenticated: the token was revoked. Both just end the stream.
      if (!(err instanceof NotFound) && !(err instanceof Unauthenticated))
        core.log.warn({ err }, 'activity batch stream ended with an error');
    } finally {
      res.end();
    }
  })();
}

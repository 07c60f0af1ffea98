import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ActivityModule } from '../../activity';
import { parseActivityReport } from '../../activity/leases';
import { TokenService } from '../../auth/tokens';
import { fenceOf, leaseOf } from '../../compute/api/providerJobs';
import type { Core } from '../../kernel/core';
import { Invalid } from '../../kernel/errors';
import { providerAuth } from '../auth';
import { queryValue, timeoutMs } from '../query';
import { PROVIDER_API, rawBody } from './provider';

function jsonObject(ctx: Context): Record<string, unknown> {
  const body: unknown = ctx.request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || ctx.request.rawBody === undefined)
    throw new Invalid('The body must be a JSON object (Content-Type: application/json)');
  return body as Record<string, unknown>;
}

function runnerIdOf(value: unknown): string {
  if (typeof value !== 'string' || !/^[\w.-]{1,100}$/.test(value))
    throw new Invalid('runnerId must be 1-100 letters, digits, ".", "_" or "-"');
  return value;
}

function heldOnlyOf(value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new Invalid('heldOnly must be true or false');
  return value === true;
}

/**
 * The provider API's activity section: a runner (authenticated as its provider) claims the next ExeScript batch of
 * its provider's activities (long-poll; 204 when none came), then reports runtime events and command results under
 * the claim's fencing token. A report with an empty batchId renews the runner's hold on an idle activity. A file a
 * command publishes (`transfer` to `result:<name>`) is uploaded raw under the fence.
 */
export function mountProviderActivityRoutes(router: Router, core: Core, module: ActivityModule): void {
  const activities = module.provider;
  const auth = providerAuth(new TokenService(core));
  const provider = (ctx: Context): string => ctx.state.identity as string;

  router.post(`${PROVIDER_API}/activities/claim`, auth, async (ctx) => {
    const body = jsonObject(ctx);
    const wait = timeoutMs(ctx, core.config.maxLongPollSeconds);
    const runnerId = runnerIdOf(body.runnerId);
    const claimed = await activities.claim(
      provider(ctx),
      runnerId,
      leaseOf(body.leaseMs),
      wait,
      ctx.state.abort as AbortSignal,
      heldOnlyOf(body.heldOnly),
    );
    if (!claimed) {
      ctx.status = 204;
      return;
    }
    ctx.body = claimed;
  });
  router.post(`${PROVIDER_API}/activities/:activityId/report`, auth, async (ctx) => {
    const body = jsonObject(ctx);
    const report = parseActivityReport({ ...body, fence: fenceOf(body.fence), leaseMs: leaseOf(body.leaseMs) });
    ctx.body = await activities.report(provider(ctx), ctx.params.activityId, report);
  });
  router.put(`${PROVIDER_API}/activities/:activityId/results/:name`, auth, async (ctx) => {
    const fence = fenceOf(queryValue(ctx, 'fence'));
    const bytes = await rawBody(ctx, core.config.maxResultBytes);
    await module.results.publish(provider(ctx), ctx.params.activityId, fence, ctx.params.name, bytes);
    ctx.status = 201;
    ctx.body = { name: ctx.params.name, size: bytes.length };
  });
}

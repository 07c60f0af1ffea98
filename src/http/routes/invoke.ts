import type { Context } from 'koa';
import type Router from '@koa/router';
import { parseAddress } from '../../auth/signedRequest';
import { Authenticator } from '../../auth/authenticator';
import type { InvokeServices } from '../../invoke';
import { serviceMetadata } from '../../invoke/record';
import { MAX_PAGE_SIZE } from '../../invoke/services';
import type { Core } from '../../kernel/core';
import { Invalid, Unavailable } from '../../kernel/errors';
import type { InvokeServiceDefinition } from '../../types/schemas';
import { oceanAuth } from '../auth';
import { queryValue } from '../query';
import { validator } from '../validate';

export const INVOKE_BASE = '/api/invoke/v1';

const isDefinition = validator<InvokeServiceDefinition>('InvokeServiceDefinition.json');

/** A whole number query parameter in [min, max], or the fallback when absent; 400 naming it otherwise. */
function wholeNumber(ctx: Context, name: string, fallback: number, min: number, max: number): number {
  const raw = queryValue(ctx, name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new Invalid(`Invalid ${name}: expected a whole number in ${min}..${max}`);
  return value;
}

/**
 * The invoke face (OEP-6), base /api/invoke/v1: heartbeat and service management (register, metadata, listing,
 * update as a new version, retire). Errors are JSON with a `message`. Reads of service metadata are public; every
 * change needs a party (auth token or signed request), and only a service's provider may change it.
 */
export function mountInvokeRoutes(router: Router, core: Core, invoke: InvokeServices): void {
  const auth = oceanAuth(new Authenticator(core), { command: 'invoke' });
  const identity = (ctx: Context): string => ctx.state.identity as string;
  const render = (ctx: Context, service: Parameters<typeof serviceMetadata>[0]): void => {
    ctx.body = serviceMetadata(service, INVOKE_BASE);
  };
  const jsonErrors = async (ctx: Context, next: () => Promise<unknown>): Promise<void> => {
    ctx.state.errorStyle = 'ocean';
    await next();
  };

  router.get(`${INVOKE_BASE}/heartbeat`, jsonErrors, async (ctx) => {
    const pong = await core.redis.ping().catch(() => undefined);
    if (pong !== 'PONG') throw new Unavailable('Redis is not reachable');
    ctx.body = { status: 'ok' };
  });

  router.post(`${INVOKE_BASE}/services`, auth, async (ctx) => {
    const body: unknown = ctx.request.body;
    if (!isDefinition(body)) return;
    ctx.status = 201;
    render(ctx, await invoke.registry.register(identity(ctx), body));
  });

  router.get(`${INVOKE_BASE}/services`, jsonErrors, async (ctx) => {
    const rawProvider = queryValue(ctx, 'provider');
    const provider = rawProvider === undefined ? undefined : parseAddress(rawProvider, 'provider').toLowerCase();
    const offset = wholeNumber(ctx, 'offset', 0, 0, 1e9);
    const limit = wholeNumber(ctx, 'limit', 20, 1, MAX_PAGE_SIZE);
    const { total, items } = await invoke.registry.list(provider, offset, limit);
    ctx.body = { total, offset, limit, services: items.map((s) => serviceMetadata(s, INVOKE_BASE)) };
  });

  router.get(`${INVOKE_BASE}/services/:serviceId`, jsonErrors, async (ctx) => {
    render(ctx, await invoke.registry.require(ctx.params.serviceId));
  });

  router.put(`${INVOKE_BASE}/services/:serviceId`, auth, async (ctx) => {
    const body: unknown = ctx.request.body;
    if (!isDefinition(body)) return;
    render(ctx, await invoke.registry.update(identity(ctx), ctx.params.serviceId, body));
  });

  router.delete(`${INVOKE_BASE}/services/:serviceId`, auth, async (ctx) => {
    render(ctx, await invoke.registry.retire(identity(ctx), ctx.params.serviceId));
  });
}

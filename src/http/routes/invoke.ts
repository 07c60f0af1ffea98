import type { Context, Middleware } from 'koa';
import type Router from '@koa/router';
import { parseAddress } from '../../auth/signedRequest';
import { Authenticator } from '../../auth/authenticator';
import type { InvokeServices } from '../../invoke';
import { serviceMetadata } from '../../invoke/record';
import { MAX_PAGE_SIZE } from '../../invoke/services';
import { fenceOf } from '../../compute/api/providerJobs';
import type { Core } from '../../kernel/core';
import { Invalid, Unavailable } from '../../kernel/errors';
import type { InvokeServiceDefinition } from '../../types/schemas';
import { oceanAuth, providerAuth } from '../auth';
import { TokenService } from '../../auth/tokens';
import { PROOF_DOMAIN, PROOF_TYPES } from '../../invoke/deliveryProof';
import { PROVIDER_API } from './provider';
import { queryValue, timeoutMs } from '../query';
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
  router.get(`${INVOKE_BASE}/heartbeat`, async (ctx) => {
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

  router.get(`${INVOKE_BASE}/services`, async (ctx) => {
    const rawProvider = queryValue(ctx, 'provider');
    const provider = rawProvider === undefined ? undefined : parseAddress(rawProvider, 'provider').toLowerCase();
    const offset = wholeNumber(ctx, 'offset', 0, 0, 1e9);
    const limit = wholeNumber(ctx, 'limit', 20, 1, MAX_PAGE_SIZE);
    const { total, items } = await invoke.registry.list(provider, offset, limit);
    ctx.body = { total, offset, limit, services: items.map((s) => serviceMetadata(s, INVOKE_BASE)) };
  });

  router.get(`${INVOKE_BASE}/services/:serviceId`, async (ctx) => {
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

  mountInvocationRoutes(router, auth, invoke);
  mountProofRoutes(router, core, auth, invoke);
}

/** Longest wait of a sync invocation or a status long-poll. */
const MAX_WAIT_S = 60;

/** `POST /{serviceId}` (invoke), `GET /{jobId}/status`, `GET /{jobId}/result`: the consumer's and provider's. */
function mountInvocationRoutes(router: Router, auth: Middleware, invoke: InvokeServices): void {
  const identity = (ctx: Context): string => ctx.state.identity as string;
  const abort = (ctx: Context): AbortSignal | undefined => ctx.state.abort as AbortSignal | undefined;

  router.post(`${INVOKE_BASE}/:serviceId`, auth, async (ctx) => {
    const mode = queryValue(ctx, 'mode');
    if (mode !== undefined && mode !== 'sync' && mode !== 'async')
      throw new Invalid("Invalid mode: expected 'sync' or 'async'");
    const token = queryValue(ctx, 'purchase-token');
    const jobId = await invoke.invocations.invoke(
      identity(ctx),
      ctx.params.serviceId,
      token === '' ? undefined : token,
      ctx.request.body,
    );
    if (mode === 'sync') {
      const waitMs = timeoutMs(ctx, MAX_WAIT_S);
      const result = await invoke.invocations.resultWhenEnded(identity(ctx), jobId, waitMs, abort(ctx));
      ctx.status = result ? 200 : 202;
      ctx.body = result ?? { jobId };
      return;
    }
    ctx.status = 201;
    ctx.body = { jobId };
  });

  router.get(`${INVOKE_BASE}/:jobId/status`, auth, async (ctx) => {
    const waitMs = queryValue(ctx, 'timeout') === undefined ? 0 : timeoutMs(ctx, MAX_WAIT_S);
    ctx.body = await invoke.invocations.status(identity(ctx), ctx.params.jobId, waitMs, abort(ctx));
  });

  router.get(`${INVOKE_BASE}/:jobId/result`, auth, async (ctx) => {
    ctx.body = await invoke.invocations.result(identity(ctx), ctx.params.jobId);
  });
}

/**
 * `GET /proof?job-id=` for the consumer and the provider, and the provider job API's side: the runner that ended an
 * invocation's job reads the message to sign and uploads its signature (`?fence=` / `{fence, signature}`).
 */
function mountProofRoutes(router: Router, core: Core, auth: Middleware, invoke: InvokeServices): void {
  const provider = providerAuth(new TokenService(core));
  const identity = (ctx: Context): string => ctx.state.identity as string;

  router.get(`${INVOKE_BASE}/proof`, auth, async (ctx) => {
    const jobId = queryValue(ctx, 'job-id');
    if (!jobId) throw new Invalid('Missing required parameter: job-id');
    ctx.body = await invoke.proofs.get(identity(ctx), jobId);
  });

  router.get(`${PROVIDER_API}/jobs/:jobId/proof`, provider, async (ctx) => {
    const toSign = await invoke.proofs.toSign(identity(ctx), ctx.params.jobId, fenceOf(queryValue(ctx, 'fence')));
    if (!toSign) {
      ctx.status = 204;
      return;
    }
    ctx.body = { domain: PROOF_DOMAIN, types: PROOF_TYPES, primaryType: 'DeliveryProof', ...toSign };
  });

  router.put(`${PROVIDER_API}/jobs/:jobId/proof`, provider, async (ctx) => {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    if (typeof body.signature !== 'string') throw new Invalid('signature must be a string');
    const webhookSignature = typeof body.webhookSignature === 'string' ? body.webhookSignature : undefined;
    await invoke.proofs.accept(identity(ctx), ctx.params.jobId, fenceOf(body.fence), body.signature, webhookSignature);
    ctx.status = 204;
  });
}

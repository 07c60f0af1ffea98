import type Router from '@koa/router';
import type { Context } from 'koa';
import { providerAuth } from '../auth';
import { TokenService } from '../../auth/tokens';
import type { RunnerHeartbeat } from '../../compute/api/environments';
import { fenceOf, leaseOf, parseStatusReport, type ProviderJobs } from '../../compute/api/providerJobs';
import { RUNTIME_PATTERN as RUNTIME } from '../../compute/workload';
import type { Core } from '../../kernel/core';
import { Invalid, TooLarge } from '../../kernel/errors';
import { queryValue, timeoutMs } from '../query';

export const PROVIDER_API = '/api/provider/v1';

/** A raw (non-JSON) request body, refused with 413 past `limit` bytes without reading the rest into memory. */
export async function rawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new TooLarge(`Request body is larger than the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new TooLarge(`Request body is larger than the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function jsonObject(ctx: Context): Record<string, unknown> {
  const body: unknown = ctx.request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || ctx.request.rawBody === undefined)
    throw new Invalid('The body must be a JSON object (Content-Type: application/json)');
  return body as Record<string, unknown>;
}

function numberField(body: Record<string, unknown>, name: string): number {
  const value = body[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new Invalid(`${name} must be a non-negative number`);
  return value;
}

function heldJobs(value: unknown): Array<{ jobId: string; fence: number }> {
  if (!Array.isArray(value) || value.length > 256) throw new Invalid('jobs must be an array of {jobId, fence}');
  return value.map((item: unknown) => {
    const { jobId, fence } = (item ?? {}) as Record<string, unknown>;
    if (typeof jobId !== 'string') throw new Invalid('jobs[].jobId must be a job id');
    return { jobId, fence: fenceOf(fence) };
  });
}

/** The runtimes a runner serves: optional (older runners do not say), names as BOURSE_RUNNER_RUNTIMES allows. */
function runtimesOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > 64 || !value.every((r) => typeof r === 'string' && RUNTIME.test(r)))
    throw new Invalid('runtimes must be an array of runtime names such as "node"');
  return value as string[];
}

function runnerIdOf(value: unknown): string {
  if (typeof value !== 'string' || !/^[\w.-]{1,100}$/.test(value))
    throw new Invalid('runnerId must be 1-100 letters, digits, ".", "_" or "-"');
  return value;
}

/**
 * The provider job API: runners, authenticated as their provider identity with a Bearer token, claim their
 * provider's jobs (long-poll), report status, append logs, upload results, watch for stop requests and beat.
 * Thin: parse, call ProviderJobs, render.
 */
export function mountProviderRoutes(router: Router, core: Core, jobs: ProviderJobs): void {
  const auth = providerAuth(new TokenService(core));
  const provider = (ctx: Context): string => ctx.state.identity as string;
  const signal = (ctx: Context): AbortSignal | undefined => ctx.state.abort as AbortSignal | undefined;
  const fence = (ctx: Context): number => fenceOf(queryValue(ctx, 'fence'));

  router.post(`${PROVIDER_API}/jobs/claim`, auth, async (ctx) => {
    const body = jsonObject(ctx);
    const wait = timeoutMs(ctx, core.config.maxLongPollSeconds);
    const claimed = await jobs.claim(
      provider(ctx),
      runnerIdOf(body.runnerId),
      leaseOf(body.leaseMs),
      wait,
      signal(ctx),
    );
    if (claimed) ctx.body = claimed;
    else ctx.status = 204;
  });

  router.post(`${PROVIDER_API}/jobs/:jobId/status`, auth, async (ctx) => {
    ctx.body = await jobs.report(provider(ctx), ctx.params.jobId, parseStatusReport(jsonObject(ctx)));
  });

  router.post(`${PROVIDER_API}/jobs/:jobId/logs`, auth, async (ctx) => {
    const claimFence = fence(ctx);
    const chunk = await rawBody(ctx, core.config.bodyLimitBytes);
    ctx.body = { logBytes: await jobs.appendLog(provider(ctx), ctx.params.jobId, claimFence, chunk) };
  });

  router.put(`${PROVIDER_API}/jobs/:jobId/results/:index`, auth, async (ctx) => {
    const claimFence = fence(ctx);
    if (!/^\d{1,4}$/.test(ctx.params.index)) throw new Invalid('index must be a whole number');
    const file = {
      index: Number(ctx.params.index),
      filename: queryValue(ctx, 'filename') ?? '',
      type: queryValue(ctx, 'type') ?? '',
      bytes: await rawBody(ctx, core.config.maxResultBytes),
    };
    ctx.status = 201;
    ctx.body = await jobs.uploadResult(provider(ctx), ctx.params.jobId, claimFence, file);
  });

  router.get(`${PROVIDER_API}/jobs/:jobId/watch`, auth, async (ctx) => {
    const wait = timeoutMs(ctx, core.config.maxLongPollSeconds);
    ctx.body = { state: await jobs.watch(provider(ctx), ctx.params.jobId, fence(ctx), wait, signal(ctx)) };
  });

  router.post(`${PROVIDER_API}/jobs/:jobId/release`, auth, async (ctx) => {
    await jobs.release(provider(ctx), ctx.params.jobId, fenceOf(jsonObject(ctx).fence));
    ctx.status = 204;
  });

  router.post(`${PROVIDER_API}/heartbeat`, auth, async (ctx) => {
    const body = jsonObject(ctx);
    const price = body.price;
    if (!Array.isArray(price) || price.length > 8 || !price.every((p) => typeof p === 'number'))
      throw new Invalid('price must be an array of numbers');
    const beat: RunnerHeartbeat = {
      runnerId: runnerIdOf(body.runnerId),
      provider: provider(ctx),
      cores: numberField(body, 'cores'),
      memoryGiB: numberField(body, 'memoryGiB'),
      diskGiB: numberField(body, 'diskGiB'),
      maxJobDuration: numberField(body, 'maxJobDuration'),
      price: price as number[],
      currentJobs: numberField(body, 'currentJobs'),
      maxJobs: numberField(body, 'maxJobs'),
      heartbeatMs: numberField(body, 'heartbeatMs'),
      runtimes: runtimesOf(body.runtimes),
      lastSeenMs: Date.now(),
    };
    ctx.body = await jobs.heartbeat(beat, leaseOf(body.leaseMs), heldJobs(body.jobs), body.leaving === true);
  });
}

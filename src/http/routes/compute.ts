import type { Context } from 'koa';
import type Router from '@koa/router';
import { Authenticator } from '../../auth/authenticator';
import { parseAddress, type SignedFields } from '../../auth/signedRequest';
import { readField, requireField } from '../fields';
import { oceanAuth } from '../auth';
import { liveEnvironments, liveRuntimePackages } from '../../compute/api/environments';
import type { ComputeService, JobFilter } from '../../compute/api/service';
import type { LogTail } from '../../compute/jobs/logTail';
import type { JobRecord } from '../../compute/jobs/record';
import { oceanOrder } from '../../compute/api/oceanOrder';
import type { Core } from '../../kernel/core';
import { Invalid, Unauthenticated } from '../../kernel/errors';
import type { ComputeStartRequest, ComputeStatus } from '../../types/schemas';
import { validator } from '../validate';

export function renderStatus(job: JobRecord): ComputeStatus {
  return {
    owner: job.owner,
    documentId: job.agreementId,
    jobId: job.jobId,
    agreementId: job.agreementId,
    status: job.status,
    statusText: job.statusText,
    dateCreated: job.dateCreated,
    dateFinished: job.dateFinished === '' ? null : job.dateFinished,
    results: job.results.map(({ filename, filesize, type, index }) => ({ filename, filesize, type, index })),
    stopRequested: job.stopRequested,
    terminationDetails: { exitCode: job.exitCode ?? null },
    reason: job.reason === '' ? null : job.reason,
  };
}

const isStartRequest = validator<ComputeStartRequest>('ComputeStartRequest.json');

function filterOf(ctx: Context): JobFilter {
  return { jobId: readField(ctx, 'jobId'), agreementId: readField(ctx, 'documentId') ?? readField(ctx, 'agreementId') };
}

function indexOf(ctx: Context): number {
  const raw = requireField(ctx, 'index');
  if (!/^\d{1,9}$/.test(raw)) throw new Invalid('Invalid index: expected a whole number, 0 or more');
  return Number(raw);
}

/** Provider-style signed messages; ocean-node's `address + nonce + command` is always accepted too. */
const providerMessage = {
  start: (ctx: Context, s: SignedFields) => s.address + (readField(ctx, 'agreementId') ?? '') + s.nonce,
  jobs: (ctx: Context, s: SignedFields) =>
    s.address + (readField(ctx, 'jobId') ?? '') + (readField(ctx, 'documentId') ?? '') + s.nonce,
  result: (ctx: Context, s: SignedFields) =>
    s.address + (readField(ctx, 'jobId') ?? '') + (readField(ctx, 'index') ?? '') + s.nonce,
  logs: (ctx: Context, s: SignedFields) => s.address + (readField(ctx, 'jobId') ?? '') + s.nonce,
};

/**
 * ocean status: ocean.js asks a job's status with no credentials when it holds a signer (ocean-node answers status
 * by consumerAddress + jobId alone). Such a request must name both, and is answered only for a job that address owns
 * or provides (404 otherwise, like an unknown job): status and result names, never result bytes or logs, which
 * stay behind a signature or token. Listing jobs without a jobId needs credentials.
 */
function anonymousStatusCaller(ctx: Context): string {
  const consumer = readField(ctx, 'consumerAddress');
  if (consumer === undefined || readField(ctx, 'jobId') === undefined)
    throw new Unauthenticated('Missing signature or auth token (or consumerAddress and jobId for one job status)');
  return parseAddress(consumer, 'consumerAddress').toLowerCase();
}

/** A safe `Content-Disposition` file name: no directories, no quotes or control characters. */
function attachmentName(filename: string): string {
  return filename.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'result';
}

/**
 * Ocean Provider compute endpoints under /api/services. Thin: authenticate, parse, call the
 * compute service, render. Every route except computeEnvironments and runtimes needs a party (signature or token).
 */
export function mountComputeRoutes(router: Router, core: Core, service: ComputeService, logs: LogTail): void {
  const auth = new Authenticator(core);
  const identity = (ctx: Context): string => ctx.state.identity as string;

  router.get('/api/services/computeEnvironments', async (ctx) => {
    ctx.body = await liveEnvironments(core);
  });

  // The task packages (imageUrl + imageHash) a golem-js demand names to rent a runner serving a runtime.
  router.get('/api/runtimes', async (ctx) => {
    ctx.body = await liveRuntimePackages(core);
  });

  const startJob = async (ctx: Context): Promise<void> => {
    const body: unknown = ctx.request.body;
    if (!isStartRequest(body)) return;
    const { agreementId, override } = oceanOrder(body); // ocean order
    const job = await service.start(identity(ctx), agreementId, override);
    ctx.body = [renderStatus(job)];
  };
  router.post(
    '/api/services/compute',
    oceanAuth(auth, { command: 'startCompute', message: providerMessage.start }),
    startJob,
  );
  // ocean order: ocean-node's free start; in Bourse it is a further job under an approved agreement all the same.
  router.post('/api/services/freeCompute', oceanAuth(auth, { command: 'freeStartCompute' }), startJob);

  router.get(
    '/api/services/compute',
    oceanAuth(auth, { command: 'getComputeStatus', message: providerMessage.jobs, required: false }),
    async (ctx) => {
      const caller = (ctx.state.identity as string | undefined) ?? anonymousStatusCaller(ctx); // ocean status
      ctx.body = (await service.list(caller, filterOf(ctx))).map(renderStatus);
    },
  );

  router.put(
    '/api/services/compute',
    oceanAuth(auth, { command: 'stopCompute', message: providerMessage.jobs }),
    async (ctx) => {
      ctx.body = (await service.stop(identity(ctx), filterOf(ctx))).map(renderStatus);
    },
  );

  router.delete(
    '/api/services/compute',
    oceanAuth(auth, { command: 'deleteCompute', message: providerMessage.jobs }),
    async (ctx) => {
      ctx.body = (await service.remove(identity(ctx), filterOf(ctx), ctx.state.abort as AbortSignal | undefined)).map(
        renderStatus,
      );
    },
  );

  router.get(
    '/api/services/computeResult',
    oceanAuth(auth, { command: 'getComputeResult', message: providerMessage.result }),
    async (ctx) => {
      const result = await service.result(identity(ctx), requireField(ctx, 'jobId'), indexOf(ctx));
      ctx.type = result.type === 'output' ? 'application/octet-stream' : 'text/plain; charset=utf-8';
      ctx.attachment(attachmentName(result.filename));
      ctx.body = result.bytes;
    },
  );

  router.get(
    '/api/services/computeStreamableLogs',
    oceanAuth(auth, { command: 'getComputeStreamableLogs', message: providerMessage.logs }),
    async (ctx) => {
      const job = await service.visibleJob(identity(ctx), requireField(ctx, 'jobId'));
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = logs.stream(job.jobId, ctx.state.abort as AbortSignal | undefined);
    },
  );
}

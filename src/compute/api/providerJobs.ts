import { createHash } from 'node:crypto';
import type { Core } from '../../kernel/core';
import { Conflict, Invalid, NotFound, TooLarge } from '../../kernel/errors';
import type { Claim, ClaimRefusal, JobLeases } from '../jobs/leases';
import { isJobId, isTerminal, JobFields, JobRecord, JobSpec, STATUS_TEXT } from '../jobs/record';
import type { JobStore } from '../jobs/store';
import { removeHeartbeat, writeHeartbeat, type RunnerHeartbeat } from './environments';

/** What a runner gets when it claims a job. */
export interface ClaimedJob {
  jobId: string;
  agreementId: string;
  fence: number;
  leaseMs: number;
  status: number;
  spec: JobSpec;
  deadlineMs: number | null;
  validToMs: number;
  /** The runner that held the job before ('' for a first run): the job is being resumed. */
  previousRunnerId: string;
  stopRequested: boolean;
}

/** A status report's fields a runner may set. */
export interface StatusReport {
  fence: number;
  status: number;
  step?: string;
  deadlineMs?: number;
  exitCode?: number;
  reason?: string;
}

export type WatchState = 'stop' | 'gone' | 'running';

const MIN_LEASE_MS = 300;
const MAX_LEASE_MS = 3_600_000;
const MAX_TEXT = 4096;
const RESULT_TYPES = new Set(['algorithmLog', 'output']);

function refused(code: ClaimRefusal, jobId: string, status?: number): Error {
  switch (code) {
    case 'notfound':
      return new NotFound(`Job ${jobId} not found`);
    case 'notheld':
      return new Conflict(
        `Job ${jobId} is not held by this claim (its lease lapsed or it was handed to another runner)`,
      );
    case 'ended':
      return new Conflict(`Job ${jobId} has ended (status ${status})`);
    case 'backwards':
      return new Conflict(`Job ${jobId} is at status ${status}: a status never goes back`);
  }
}

export function leaseOf(raw: unknown): number {
  if (!Number.isInteger(raw) || (raw as number) < MIN_LEASE_MS || (raw as number) > MAX_LEASE_MS)
    throw new Invalid(`leaseMs must be a whole number of milliseconds between ${MIN_LEASE_MS} and ${MAX_LEASE_MS}`);
  return raw as number;
}

export function fenceOf(raw: unknown): number {
  const value = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  if (!Number.isInteger(value) || (value as number) < 1) throw new Invalid("fence must be the claim's fencing token");
  return value as number;
}

function jobIdOf(raw: string): string {
  if (!isJobId(raw)) throw new Invalid(`Invalid job id '${raw}': expected 32 lower-case hex digits`);
  return raw;
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_TEXT)
    throw new Invalid(`${name} must be a string of at most ${MAX_TEXT} characters`);
  return value;
}

function optionalInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value)) throw new Invalid(`${name} must be a whole number`);
  return value as number;
}

/** A report body, checked field by field: a known status code, the fencing token, optional fields of the right type. */
export function parseStatusReport(body: unknown): StatusReport {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new Invalid('The body must be a JSON object {fence, status, step?, deadlineMs?, exitCode?, reason?}');
  const b = body as Record<string, unknown>;
  if (!Number.isInteger(b.status) || !(String(b.status) in STATUS_TEXT))
    throw new Invalid(`status must be one of the job status codes ${Object.keys(STATUS_TEXT).join(', ')}`);
  return {
    fence: fenceOf(b.fence),
    status: b.status as number,
    step: optionalText(b.step, 'step'),
    deadlineMs: optionalInteger(b.deadlineMs, 'deadlineMs'),
    exitCode: optionalInteger(b.exitCode, 'exitCode'),
    reason: optionalText(b.reason, 'reason'),
  };
}

/**
 * The provider job API: what a runner (authenticated as its provider identity) may do with its provider's jobs.
 * Claims are long-polls on the provider's queue; every write names the claim's fencing token, so a runner that
 * lost its claim (lease lapsed, job handed to another runner) is refused and changes nothing.
 */
export class ProviderJobs {
  constructor(
    private readonly core: Core,
    private readonly store: JobStore,
    private readonly leases: JobLeases,
  ) {}

  private claimOf(provider: string, jobIdRaw: string, fence: number): Claim {
    return { provider, jobId: jobIdOf(jobIdRaw), fence };
  }

  /** The next job of `provider` for `runnerId`, waiting up to `timeoutMs`; undefined when none came. */
  async claim(
    provider: string,
    runnerId: string,
    leaseMs: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ClaimedJob | undefined> {
    if (!/^[\w.-]{1,100}$/.test(runnerId)) throw new Invalid('runnerId must be 1-100 letters, digits, ".", "_" or "-"');
    const queue = this.core.keys.providerQueue(provider);
    const claimed = await this.core.waiter.poll([queue], timeoutMs, signal, () =>
      this.leases.claim(provider, runnerId, leaseMs),
    );
    if (!claimed) return undefined;
    if (signal?.aborted) {
      // The runner went away before it could learn of its claim: hand the job straight back.
      await this.leases.release({ ...claimed.job, fence: claimed.fence, leaseUntilMs: 0 }, 'requeue', {
        lapsedOnly: false,
      });
      return undefined;
    }
    const { job } = claimed;
    return {
      jobId: job.jobId,
      agreementId: job.agreementId,
      fence: claimed.fence,
      leaseMs,
      status: job.status,
      spec: job.spec,
      deadlineMs: job.deadlineMs ?? null,
      validToMs: job.validToMs,
      previousRunnerId: job.previousRunnerId,
      stopRequested: job.stopRequested,
    };
  }

  /** Applies the report; answers the job's status and whether a stop was requested (so no separate check is due). */
  async report(
    provider: string,
    jobIdRaw: string,
    report: StatusReport,
  ): Promise<{ status: number; stopRequested: boolean }> {
    const claim = this.claimOf(provider, jobIdRaw, report.fence);
    const fields: JobFields = { step: report.step, deadlineMs: report.deadlineMs, exitCode: report.exitCode };
    if (report.reason !== undefined) fields.reason = report.reason;
    const { code, status, stopRequested } = await this.leases.report(claim, report.status, fields);
    if (code !== 'ok') throw refused(code, claim.jobId, status);
    return { status: status as number, stopRequested: stopRequested === true };
  }

  async appendLog(provider: string, jobIdRaw: string, fence: number, chunk: Buffer): Promise<number> {
    const claim = this.claimOf(provider, jobIdRaw, fence);
    if (chunk.length === 0) throw new Invalid('The log chunk is empty');
    const { code, total } = await this.leases.appendLog(claim, chunk);
    if (code !== 'ok') throw refused(code, claim.jobId);
    return total;
  }

  /** Stores one result file of the held job (size-capped per job, SHA-256 recorded); listed at its final status. */
  async uploadResult(
    provider: string,
    jobIdRaw: string,
    fence: number,
    file: { index: number; filename: string; type: string; bytes: Buffer },
  ): Promise<{ sha256: string }> {
    const claim = this.claimOf(provider, jobIdRaw, fence);
    if (!RESULT_TYPES.has(file.type)) throw new Invalid('type must be "algorithmLog" or "output"');
    if (file.filename === '' || file.filename.length > 1024 || file.filename.includes('\0'))
      throw new Invalid('filename must be 1-1024 characters without NUL');
    const sha256 = createHash('sha256').update(file.bytes).digest('hex');
    const entry = { index: file.index, filename: file.filename, type: file.type, filesize: file.bytes.length, sha256 };
    const cap = this.core.config.maxResultBytes;
    const code = await this.leases.stageResult(claim, entry, cap);
    if (code === 'toolarge') throw new TooLarge(`The job's results would exceed the limit of ${cap} bytes`);
    if (code === 'toomany') throw new Invalid('Too many result files for one job');
    if (code !== 'ok') throw refused(code, claim.jobId);
    await this.store.results.put(claim.jobId, file.index, file.bytes);
    return { sha256 };
  }

  /** Records the runner's heartbeat and renews its claims; answers the jobs it no longer holds. */
  async heartbeat(
    beat: RunnerHeartbeat,
    leaseMs: number,
    held: Array<{ jobId: string; fence: number }>,
    leaving = false,
  ): Promise<{ lost: string[] }> {
    if (leaving) await removeHeartbeat(this.core, beat.runnerId);
    else await writeHeartbeat(this.core, beat);
    const lost: string[] = [];
    for (const { jobId, fence } of held) {
      const claim = this.claimOf(beat.provider, jobId, fence);
      if (!(await this.leases.renew(claim, leaseMs))) lost.push(jobId);
    }
    return { lost };
  }

  /** Waits until the held job should stop ('stop') or is no longer this claim's ('gone'); 'running' on timeout. */
  async watch(
    provider: string,
    jobIdRaw: string,
    fence: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WatchState> {
    const jobId = jobIdOf(jobIdRaw);
    const state = await this.core.waiter.poll([this.core.keys.job(jobId)], timeoutMs, signal, async () => {
      const job = await this.store.get(jobId);
      if (!job || job.provider !== provider || job.fence !== fence || isTerminal(job.status)) return 'gone' as const;
      return job.stopRequested ? ('stop' as const) : undefined;
    });
    return state ?? 'running';
  }

  /** The holder hands the job back (it is shutting down): the job goes to the front of the queue at once. */
  async release(provider: string, jobIdRaw: string, fence: number): Promise<void> {
    const jobId = jobIdOf(jobIdRaw);
    const job: JobRecord | undefined = await this.store.get(jobId);
    if (!job || job.provider !== provider) throw new NotFound(`Job ${jobId} not found`);
    const code = await this.leases.release({ ...job, fence }, 'requeue', { lapsedOnly: false });
    if (code === 'moved') throw refused('notheld', jobId);
    if (code === 'ended') throw refused('ended', jobId, job.status);
  }
}

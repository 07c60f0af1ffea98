import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type Redis from 'ioredis';
import type { Core } from '../kernel/core';
import { DomainError, Invalid, Conflict, NotFound } from '../kernel/errors';
import { firstJobId, JobSpec, JobStore, newJobId } from './jobs';
import { enqueueJob } from './queue';
import { JobStatus } from './statuses';
import {
  applyOverride,
  ComputeWorkloadOverride,
  environmentFromOffer,
  hasJobProperties,
  jobSpecFromProperties,
  misfit,
} from './workload';

const CONSUMER_GROUP = 'compute-dispatch';
/** Entries a dead instance read but never acknowledged are taken over after this long. */
const CLAIM_IDLE_MS = 15_000;
const READ_BLOCK_MS = 2_000;
const READ_BATCH = 32;

/** The agreement fields compute reads (the agreements engineer's record, keys.agreement(hex)). */
export interface ComputeAgreement {
  id: string;
  state: string;
  requestorId: string;
  providerId: string;
  demandProperties: Record<string, unknown>;
  offerProperties: Record<string, unknown>;
  validToMs: number;
}

function parseJsonObject(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Agreement ids are 64 lower hex, the same for both parties; clients may send them in any case. */
export function normaliseAgreementId(raw: string): string | undefined {
  const hex = raw.toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/**
 * Turns approved agreements into jobs: the first job of every approval (from the stream the approve Lua feeds,
 * read with a consumer group so each approval is handled once across instances, and re-handled if an instance
 * dies before acknowledging it), and further jobs started through POST /api/services/compute.
 */
export class Dispatcher {
  private reader: Redis | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly consumer = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(
    private readonly core: Core,
    private readonly jobs: JobStore,
  ) {}

  async readAgreement(hex: string): Promise<ComputeAgreement | undefined> {
    const raw = await this.core.redis.hgetall(this.core.keys.agreement(hex));
    if (!raw.id) return undefined;
    return {
      id: raw.id,
      state: raw.state,
      requestorId: (raw.requestorId ?? '').toLowerCase(),
      providerId: (raw.providerId ?? '').toLowerCase(),
      demandProperties: parseJsonObject(raw.demandProperties),
      offerProperties: parseJsonObject(raw.offerProperties),
      validToMs: Number(raw.validToMs) || Date.parse(raw.validTo ?? '') || 0,
    };
  }

  /**
   * Creates and enqueues the first job of an approved agreement. Idempotent: a second call finds the job and
   * only re-enqueues it while it still waits (BullMQ de-duplicates by job id). Agreements whose demand carries no
   * `bourse.job.*` workload are not compute work and get no job; an invalid workload gets a job that fails at once
   * with the reason, so the requestor can see why nothing ran.
   */
  async dispatchApproved(hex: string): Promise<string | undefined> {
    const agreement = await this.readAgreement(hex);
    if (!agreement || agreement.state !== 'Approved' || !hasJobProperties(agreement.demandProperties)) return undefined;
    const jobId = firstJobId(hex);
    let spec: JobSpec | undefined;
    let invalid: string | undefined;
    try {
      spec = jobSpecFromProperties(agreement.demandProperties);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      invalid = `Invalid workload in the agreement's demand: ${err.message}`;
    }
    const created = await this.jobs.create({
      jobId,
      agreementId: hex,
      owner: agreement.requestorId,
      provider: agreement.providerId,
      validToMs: agreement.validToMs,
      spec: spec ?? { runtime: '', entrypoint: [], algorithm: '', inputs: [], maxDurationSeconds: 0 },
    });
    if (invalid !== undefined) {
      await this.jobs.transition(jobId, [JobStatus.Queued], JobStatus.AlgorithmProvisioningFailed, { reason: invalid });
      return jobId;
    }
    const job = created ? undefined : await this.jobs.get(jobId);
    if (created || job?.status === JobStatus.Queued) await enqueueJob(this.core, agreement.providerId, jobId);
    return jobId;
  }

  /**
   * A further job under an approved agreement, for its requestor (POST /api/services/compute).
   * A stranger's or unknown agreement is 404; one that is not approved or has ended is 409.
   */
  async startFurtherJob(caller: string, agreementRaw: string, override: ComputeWorkloadOverride): Promise<string> {
    const hex = normaliseAgreementId(agreementRaw);
    const agreement = hex === undefined ? undefined : await this.readAgreement(hex);
    if (!hex || !agreement || agreement.requestorId !== caller)
      throw new NotFound(`Agreement ${agreementRaw} not found`);
    if (agreement.state !== 'Approved') throw new Conflict(`Agreement ${hex} is ${agreement.state}, not Approved`);
    if (agreement.validToMs <= Date.now()) throw new Conflict(`Agreement ${hex} has ended (validTo passed)`);
    let agreed: JobSpec;
    try {
      agreed = jobSpecFromProperties(agreement.demandProperties);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      throw new Conflict(`Agreement ${hex} carries no valid workload: ${err.message}`);
    }
    const spec = applyOverride(agreed, override);
    const env = environmentFromOffer(agreement.offerProperties);
    const reason = env && misfit(spec, env);
    if (reason) throw new Invalid(`The job does not fit the agreed environment: ${reason}`);
    const jobId = newJobId();
    await this.jobs.create({
      jobId,
      agreementId: hex,
      owner: agreement.requestorId,
      provider: agreement.providerId,
      validToMs: agreement.validToMs,
      spec,
    });
    await enqueueJob(this.core, agreement.providerId, jobId);
    return jobId;
  }

  /** Starts reading the approvals stream (own pending entries first, then new ones, then abandoned ones). */
  async start(): Promise<void> {
    const stream = this.core.keys.approvedAgreements();
    try {
      await this.core.redis.xgroup('CREATE', stream, CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
    }
    // XREADGROUP BLOCK holds its connection, so it gets one of its own.
    this.reader = this.core.redis.duplicate();
    this.running = true;
    this.loop = this.run(stream);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reader?.disconnect();
    await this.loop;
  }

  private async run(stream: string): Promise<void> {
    let lastClaim = 0;
    while (this.running) {
      try {
        if (Date.now() - lastClaim > CLAIM_IDLE_MS / 3) {
          lastClaim = Date.now();
          await this.claimAbandoned(stream);
        }
        const reply = (await this.reader!.xreadgroup(
          'GROUP',
          CONSUMER_GROUP,
          this.consumer,
          'COUNT',
          READ_BATCH,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          stream,
          '>',
        )) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [, entries] of reply ?? []) await this.handle(stream, entries);
      } catch (err) {
        if (!this.running) return;
        this.core.log.warn({ err }, 'compute dispatch: reading approvals failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Takes over approvals another instance read but never acknowledged (it died in between). */
  private async claimAbandoned(stream: string): Promise<void> {
    const [, entries] = (await this.core.redis.xautoclaim(
      stream,
      CONSUMER_GROUP,
      this.consumer,
      CLAIM_IDLE_MS,
      '0',
      'COUNT',
      READ_BATCH,
    )) as [string, Array<[string, string[]] | null>];
    await this.handle(
      stream,
      entries.filter((e): e is [string, string[]] => e !== null),
    );
  }

  private async handle(stream: string, entries: Array<[string, string[]]>): Promise<void> {
    for (const [entryId, fields] of entries) {
      const at = fields.indexOf('agreementId');
      const hex = at >= 0 ? normaliseAgreementId(fields[at + 1] ?? '') : undefined;
      if (hex) {
        const jobId = await this.dispatchApproved(hex);
        if (jobId) this.core.log.info({ agreementId: hex, jobId }, 'compute job dispatched');
      }
      await this.core.redis.xack(stream, CONSUMER_GROUP, entryId);
    }
  }
}

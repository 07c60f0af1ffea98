import os from 'node:os';
import type Redis from 'ioredis';
import { normaliseAgreementId } from '../../market/ids';
import type { Core } from '../../kernel/core';
import { Conflict, Invalid, NotFound } from '../../kernel/errors';
import { Periodic, StreamReader } from '../../kernel/loops';
import { type AgreementLookup, type ApprovedAgreement, decodeHandoff } from '../../market/agreements/handoff';
import { firstJobId, JobRecord, JobStatus, newJobFields, newJobId, parseJob } from '../jobs/record';
import type { JobStore } from '../jobs/store';
import {
  applyOverride,
  ComputeWorkloadOverride,
  environmentFromOffer,
  hasJobProperties,
  misfit,
  readWorkload,
} from '../workload';

const CONSUMER_GROUP = 'compute-dispatch';
/** Entries a dead instance read but never acknowledged are taken over after this long. */
const CLAIM_IDLE_MS = 15_000;
/** Consumers idle this long with nothing pending belong to instances that are gone: they are deleted. */
const DEAD_CONSUMER_IDLE_MS = 10 * 60_000;
const READ_BLOCK_MS = 2_000;
const READ_BATCH = 32;

type Entries = Array<[string, string[]]>;

/**
 * Turns approved agreements into jobs: the first job of every approval (from the hand-off entries the approve
 * transition appends to the approvals stream, read with a consumer group so each approval is handled once across
 * instances, and re-handled if an instance dies before acknowledging it), and further jobs started through POST
 * /api/services/compute. Compute knows an agreement only through the hand-off and `AgreementLookup`.
 */
export class Dispatcher {
  /** Stable per host and port, so a restarted instance takes its own consumer back instead of adding one. */
  private readonly consumer: string;
  private readonly reader: StreamReader;
  private readonly reclaimer: Periodic;

  constructor(
    private readonly core: Core,
    private readonly jobs: JobStore,
    private readonly agreements: AgreementLookup,
  ) {
    this.consumer = `${os.hostname()}-${core.config.port || process.pid}`;
    this.reader = new StreamReader('compute dispatch', core.redis, (c) => this.readNew(c), core.log);
    this.reclaimer = new Periodic('compute dispatch reclaim', CLAIM_IDLE_MS / 3, () => this.reclaim(), core.log);
  }

  /**
   * Creates the first job of an approved agreement. Idempotent: a second call finds the job and changes nothing.
   * Agreements whose demand carries no `bourse.job.*` workload are not compute work and get no job; an invalid
   * workload gets a job that fails at once with the reason, so the requestor can see why nothing ran.
   */
  async dispatchApproved(agreement: ApprovedAgreement): Promise<string | undefined> {
    if (!hasJobProperties(agreement.demandProperties)) return undefined;
    const jobId = firstJobId(agreement.agreementId);
    const workload = readWorkload(agreement.demandProperties);
    const job = {
      jobId,
      agreementId: agreement.agreementId,
      owner: agreement.requestorId,
      provider: agreement.providerId,
      validToMs: agreement.validToMs,
    };
    if (workload.ok) {
      await this.jobs.create({ ...job, spec: workload.spec });
      return jobId;
    }
    const blank = { runtime: '', entrypoint: [], algorithm: '', inputs: [], maxDurationSeconds: 0 };
    if (await this.jobs.create({ ...job, spec: blank }, { enqueue: false }))
      await this.jobs.transition(jobId, [JobStatus.Queued], JobStatus.AlgorithmProvisioningFailed, {
        reason: `Invalid workload in the agreement's demand: ${workload.reason}`,
      });
    return jobId;
  }

  /**
   * A further job under an approved agreement, for its requestor (POST /api/services/compute).
   * A stranger's or unknown agreement is 404; one that is not approved or has ended is 409.
   */
  async startFurtherJob(caller: string, agreementRaw: string, override: ComputeWorkloadOverride): Promise<JobRecord> {
    const hex = normaliseAgreementId(agreementRaw);
    const view = hex === undefined ? undefined : await this.agreements.computeView(hex);
    if (!hex || !view || view.agreement.requestorId !== caller)
      throw new NotFound(`Agreement ${agreementRaw} not found`);
    const { agreement, state } = view;
    if (state !== 'Approved') throw new Conflict(`Agreement ${hex} is ${state}, not Approved`);
    if (agreement.validToMs <= Date.now()) throw new Conflict(`Agreement ${hex} has ended (validTo passed)`);
    const workload = readWorkload(agreement.demandProperties);
    if (!workload.ok) throw new Conflict(`Agreement ${hex} carries no valid workload: ${workload.reason}`);
    const spec = applyOverride(workload.spec, override);
    const env = environmentFromOffer(agreement.offerProperties);
    const reason = env && misfit(spec, env);
    if (reason) throw new Invalid(`The job does not fit the agreed environment: ${reason}`);
    const job = {
      jobId: newJobId(),
      agreementId: hex,
      owner: agreement.requestorId,
      provider: agreement.providerId,
      validToMs: agreement.validToMs,
      spec,
      dateCreatedMs: Date.now(),
    };
    await this.jobs.create(job);
    return parseJob(newJobFields(job));
  }

  /** Reads the approvals stream: own pending entries first (a restart), then new ones; abandoned ones periodically. */
  async start(): Promise<void> {
    try {
      await this.core.redis.xgroup('CREATE', this.stream, CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
    }
    await this.readOwnPending();
    await this.reader.start();
    this.reclaimer.start();
  }

  async stop(): Promise<void> {
    await this.reclaimer.stop();
    await this.reader.stop();
  }

  private get stream(): string {
    return this.core.keys.approvedAgreements();
  }

  private async readOwnPending(): Promise<void> {
    const reply = (await this.core.redis.xreadgroup(
      'GROUP',
      CONSUMER_GROUP,
      this.consumer,
      'COUNT',
      1000,
      'STREAMS',
      this.stream,
      '0',
    )) as Array<[string, Entries]> | null;
    for (const [, entries] of reply ?? []) await this.handle(entries);
  }

  private async readNew(connection: Redis): Promise<void> {
    const reply = (await connection.xreadgroup(
      'GROUP',
      CONSUMER_GROUP,
      this.consumer,
      'COUNT',
      READ_BATCH,
      'BLOCK',
      READ_BLOCK_MS,
      'STREAMS',
      this.stream,
      '>',
    )) as Array<[string, Entries]> | null;
    for (const [, entries] of reply ?? []) await this.handle(entries);
  }

  /** Takes over approvals another instance read but never acknowledged, and forgets consumers long gone. */
  private async reclaim(): Promise<void> {
    const { redis } = this.core;
    const [, entries] = (await redis.xautoclaim(
      this.stream,
      CONSUMER_GROUP,
      this.consumer,
      CLAIM_IDLE_MS,
      '0',
      'COUNT',
      READ_BATCH,
    )) as [string, Array<[string, string[]] | null>];
    await this.handle(entries.filter((e): e is [string, string[]] => e !== null));
    const consumers = (await redis.xinfo('CONSUMERS', this.stream, CONSUMER_GROUP)) as unknown[][];
    for (const row of consumers) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
      const name = String(info.get('name'));
      if (
        name !== this.consumer &&
        Number(info.get('pending')) === 0 &&
        Number(info.get('idle')) > DEAD_CONSUMER_IDLE_MS
      )
        await redis.xgroup('DELCONSUMER', this.stream, CONSUMER_GROUP, name);
    }
  }

  /** Dispatches each entry, then acknowledges them all in one call (an entry handled twice dispatches once). */
  private async handle(entries: Entries): Promise<void> {
    if (entries.length === 0) return;
    for (const [, fields] of entries) {
      const agreement = await this.approvedAgreement(fields);
      if (agreement) {
        const jobId = await this.dispatchApproved(agreement);
        if (jobId) this.core.log.info({ agreementId: agreement.agreementId, jobId }, 'compute job dispatched');
      }
    }
    await this.core.redis.xack(this.stream, CONSUMER_GROUP, ...entries.map(([entryId]) => entryId));
  }

  /** The hand-off entry; an entry of the first format (only `agreementId`) is completed through the lookup. */
  private async approvedAgreement(fields: string[]): Promise<ApprovedAgreement | undefined> {
    const decoded = decodeHandoff(fields);
    if (decoded) return decoded;
    const at = fields.indexOf('agreementId');
    if (fields.includes('v') || at < 0) return undefined;
    const hex = normaliseAgreementId(fields[at + 1] ?? '');
    const view = hex === undefined ? undefined : await this.agreements.computeView(hex);
    return view?.state === 'Approved' ? view.agreement : undefined;
  }
}

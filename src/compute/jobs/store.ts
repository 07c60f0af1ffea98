import path from 'node:path';
import type Redis from 'ioredis';
import type { Keys } from '../../store/keys';
import { readHashes } from '../../store/hashes';
import { defineScript, outcome, type Scripts } from '../../store/scripts';
import {
  epochSeconds,
  fieldPairs,
  isTerminal,
  JobFields,
  JobRecord,
  JobStatus,
  NewJob,
  newJobFields,
  parseJob,
  ResultEntry,
  statusText,
} from './record';
import type { ResultStore } from './results';

const lua = (name: string): string => path.join(__dirname, 'lua', `${name}.lua`);
const firstWord = (reply: unknown): string => outcome(reply).code;

const createScript = defineScript({
  name: 'job.create',
  file: lua('create'),
  keys: ['job', 'ownerJobs', 'providerJobs', 'agreementJobs', 'active', 'queue'],
  args: ['jobId', 'activeScore', 'jobWake', 'queueWake', 'enqueue'],
  parse: firstWord,
});

const transitionScript = defineScript({
  name: 'job.transition',
  file: lua('transition'),
  keys: ['job', 'active', 'leases'],
  args: ['from', 'to', 'toText', 'terminal', 'now', 'jobWake', 'activeScore'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return { code, status: values[0] === undefined ? undefined : Number(values[0]) };
  },
});

const stopScript = defineScript({
  name: 'job.stop',
  file: lua('stop'),
  keys: ['job', 'active', 'leases'],
  args: ['jobWake', 'now', 'finished', 'finishedText', 'reason'],
  parse: firstWord,
});

const deleteScript = defineScript({
  name: 'job.delete',
  file: lua('delete'),
  keys: ['job', 'ownerJobs', 'providerJobs', 'agreementJobs', 'active', 'leases', 'log', 'staged', 'queue'],
  args: ['jobId', 'jobWake'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return { code, slots: Number(values[0] ?? 0) };
  },
});

export type TransitionOutcome = { ok: true; status: number } | { ok: false; status: number | undefined };

export interface JobStoreHost {
  redis: Redis;
  keys: Keys;
  scripts: Scripts;
}

/**
 * The compute job records in Redis, as the API sees them: creation (which queues the job for its provider),
 * reads, the API's own compare-and-set transitions (watchdog), stop, delete, the live log and stored results.
 * What a runner does to the job it holds (claim, report, renew, release) is in `leases.ts`.
 */
export class JobStore {
  constructor(
    private readonly host: JobStoreHost,
    readonly results: ResultStore,
  ) {}

  private get keys(): Keys {
    return this.host.keys;
  }

  /**
   * Creates the job at status 1 and queues it for its provider; false (and nothing changed) when the id already
   * exists. `enqueue: false` creates a record only (a job refused at once).
   */
  async create(job: NewJob, options: { enqueue?: boolean } = {}): Promise<boolean> {
    const k = this.keys;
    const jobKey = k.job(job.jobId);
    const queue = k.providerQueue(job.provider);
    const code = await this.host.scripts.call(
      createScript,
      {
        job: jobKey,
        ownerJobs: k.ownerJobs(job.owner),
        providerJobs: k.ownerJobs(job.provider),
        agreementJobs: k.agreementJobs(job.agreementId),
        active: k.activeJobs(),
        queue,
      },
      {
        jobId: job.jobId,
        activeScore: job.validToMs,
        jobWake: k.wakeChannel(jobKey),
        queueWake: k.wakeChannel(queue),
        enqueue: options.enqueue === false ? '' : '1',
      },
      { args: Object.entries(newJobFields(job)).flat() },
    );
    return code === 'ok';
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const raw = await this.host.redis.hgetall(this.keys.job(jobId));
    return raw.jobId === undefined ? undefined : parseJob(raw);
  }

  /**
   * Moves the job from one of `from` to `to` (compare-and-set), setting `fields`; a terminal status also sets
   * `dateFinished`, ends any claim and leaves the watchdog's set. A terminal job never moves.
   */
  async transition(jobId: string, from: number[], to: number, fields: JobFields = {}): Promise<TransitionOutcome> {
    const k = this.keys;
    const jobKey = k.job(jobId);
    const { code, status } = await this.host.scripts.call(
      transitionScript,
      { job: jobKey, active: k.activeJobs(), leases: k.jobLeases() },
      {
        from: from.join(','),
        to,
        toText: statusText(to),
        terminal: isTerminal(to) ? '1' : '',
        now: epochSeconds(),
        jobWake: k.wakeChannel(jobKey),
        activeScore: !isTerminal(to) && fields.deadlineMs !== undefined ? fields.deadlineMs : '',
      },
      { args: fieldPairs(fields) },
    );
    return code === 'ok' ? { ok: true, status: status as number } : { ok: false, status };
  }

  /** Jobs where `address` is the requestor or the provider, newest first. */
  async listForParty(address: string): Promise<JobRecord[]> {
    return this.getMany(await this.host.redis.smembers(this.keys.ownerJobs(address)));
  }

  async listForAgreement(agreementId: string): Promise<JobRecord[]> {
    return this.getMany(await this.host.redis.smembers(this.keys.agreementJobs(agreementId)));
  }

  async getMany(ids: string[]): Promise<JobRecord[]> {
    const rows = await readHashes(
      this.host.scripts,
      ids.map((id) => this.keys.job(id)),
    );
    const jobs = rows.filter((raw) => raw.jobId !== undefined).map(parseJob);
    return jobs.sort((a, b) => Number(b.dateCreated) - Number(a.dateCreated));
  }

  /** The live log tail and how many bytes were ever written (the tail ends at `totalBytes`). */
  async readLog(jobId: string): Promise<{ tail: Buffer; totalBytes: number }> {
    const k = this.keys;
    const [tail, total] = await Promise.all([
      this.host.redis.getBuffer(k.jobLog(jobId)),
      this.host.redis.hget(k.job(jobId), 'logBytes'),
    ]);
    return { tail: tail ?? Buffer.alloc(0), totalBytes: Number(total ?? 0) };
  }

  /** A stored result file of `job` (already read by the caller), or undefined when it has none at that index. */
  async readResult(job: JobRecord, index: number): Promise<(ResultEntry & { bytes: Buffer }) | undefined> {
    const entry = job.results.find((r) => r.index === index);
    if (!entry) return undefined;
    const bytes = await this.results.get(job.jobId, index);
    return bytes === undefined ? undefined : { ...entry, bytes };
  }

  /**
   * Requests a stop. A job still queued ends at once (status 70, nothing ran); a running job is flagged and its
   * runner kills the algorithm, keeps the logs and finishes the job. Returns the record afterwards.
   */
  async requestStop(jobId: string): Promise<JobRecord | undefined> {
    const k = this.keys;
    const jobKey = k.job(jobId);
    await this.host.scripts.call(
      stopScript,
      { job: jobKey, active: k.activeJobs(), leases: k.jobLeases() },
      {
        jobWake: k.wakeChannel(jobKey),
        now: epochSeconds(),
        finished: JobStatus.Finished,
        finishedText: statusText(JobStatus.Finished),
        reason: 'stopped by request before the job started',
      },
    );
    return this.get(jobId);
  }

  /** Removes the record, its log and results (a running job's runner is woken and kills the algorithm). */
  async delete(job: Pick<JobRecord, 'jobId' | 'owner' | 'provider' | 'agreementId'>): Promise<boolean> {
    const k = this.keys;
    const { jobId } = job;
    const { code, slots } = await this.host.scripts.call(
      deleteScript,
      {
        job: k.job(jobId),
        ownerJobs: k.ownerJobs(job.owner),
        providerJobs: k.ownerJobs(job.provider),
        agreementJobs: k.agreementJobs(job.agreementId),
        active: k.activeJobs(),
        leases: k.jobLeases(),
        log: k.jobLog(jobId),
        staged: k.jobStagedResults(jobId),
        queue: k.providerQueue(job.provider),
      },
      { jobId, jobWake: k.wakeChannel(k.job(jobId)) },
    );
    if (code !== 'ok') return false;
    await this.results.remove(
      jobId,
      Array.from({ length: slots }, (_, i) => i),
    );
    return true;
  }

  /** Unfinished jobs whose watchdog time (validTo while queued, deadline while running) is before `nowMs`. */
  async overdue(nowMs: number, limit = 100): Promise<JobRecord[]> {
    const ids = await this.host.redis.zrangebyscore(this.keys.activeJobs(), '-inf', nowMs, 'LIMIT', 0, limit);
    return this.getMany(ids);
  }

  /** Claimed jobs whose lease ended before `nowMs` (their runner stopped heart-beating). */
  async lapsedClaims(nowMs: number, limit = 100): Promise<JobRecord[]> {
    const ids = await this.host.redis.zrangebyscore(this.keys.jobLeases(), '-inf', nowMs, 'LIMIT', 0, limit);
    return this.getMany(ids);
  }
}

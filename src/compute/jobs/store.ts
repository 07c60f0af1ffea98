import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Keys } from '../store/keys';
import type { Scripts } from '../store/scripts';
import { isTerminal, JobStatus, statusText } from './statuses';

/** What a job runs; travels in the agreement's demand as `bourse.job.*` (mirrored here as JSON in the job's `spec`). */
export interface JobSpec {
  /** Language runtime the provider allows, e.g. "node", "sh", "python3". */
  runtime: string;
  /** argv without a shell; `$ALGO` stands for the algorithm file. Empty = `[runtime, "$ALGO"]`. */
  entrypoint: string[];
  /** The algorithm's source code (Ocean `rawcode`). */
  algorithm: string;
  /** http(s) or data: URLs, fetched into `inputs/0`, `inputs/1`, … */
  inputs: string[];
  maxDurationSeconds: number;
}

export type ResultType = 'algorithmLog' | 'output';

/** One entry of a finished job's `results` (Ocean §3.3); indexes are assigned once and never change. */
export interface ResultEntry {
  filename: string;
  filesize: number;
  type: ResultType;
  index: number;
}

/** A job record as stored in `keys.job(jobId)` (the shared contract), with fields parsed. */
export interface JobRecord {
  jobId: string;
  agreementId: string;
  owner: string;
  provider: string;
  status: number;
  statusText: string;
  /** Epoch seconds with ms fraction, as text (Ocean's format). */
  dateCreated: string;
  /** '' while the job is not terminal. */
  dateFinished: string;
  /** Absolute wall-clock deadline (ms), set when a runner starts the job. */
  deadlineMs: number | undefined;
  /** The agreement's validity (ms): a job still waiting at status 1 then fails. */
  validToMs: number;
  spec: JobSpec;
  stopRequested: boolean;
  exitCode: number | undefined;
  reason: string;
  results: ResultEntry[];
  runnerId: string;
  /** Last step started, e.g. "40@runner-a" (a resumed step reads "40@runner-b (resumed)"). */
  step: string;
  /** Bytes ever appended to the live log (the tail in `keys.jobLog` keeps only the last part). */
  logBytes: number;
}

export interface NewJob {
  jobId: string;
  agreementId: string;
  owner: string;
  provider: string;
  validToMs: number;
  spec: JobSpec;
  /** Defaults to now. */
  dateCreatedMs?: number;
}

/** Field values a transition may set besides status/statusText. */
export interface JobFields {
  deadlineMs?: number;
  exitCode?: number;
  reason?: string;
  results?: ResultEntry[];
  runnerId?: string;
  step?: string;
}

/** A result file to store with the final transition. */
export interface ResultFile {
  filename: string;
  type: ResultType;
  bytes: Buffer;
}

export type TransitionOutcome = { ok: true; status: number } | { ok: false; status: number | undefined };

export interface JobStoreHost {
  redis: Redis;
  keys: Keys;
  scripts: Scripts;
}

/** Ocean's date format: epoch seconds with a millisecond fraction, as a string. */
export function epochSeconds(ms: number = Date.now()): string {
  return (ms / 1000).toFixed(3);
}

/** The first job of an agreement is named after it, so dispatching an agreement twice creates one job. */
export function firstJobId(agreementId: string): string {
  const hex = agreementId.toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{32,}$/.test(hex)) throw new Error(`agreement id ${agreementId} is not hex`);
  return hex.slice(0, 32);
}

export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

export function isJobId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

const DEFAULT_LOG_TAIL_BYTES = 256 * 1024;

/**
 * The compute job record in Redis: creation, compare-and-set status transitions (one Lua script),
 * the live log tail, stored results, stop and delete. Used by the API (dispatch, status, results)
 * and by runners (execution); every change that two processes could race on is one script.
 */
export class JobStore {
  constructor(
    private readonly host: JobStoreHost,
    private readonly logTailBytes = DEFAULT_LOG_TAIL_BYTES,
  ) {}

  private get keys(): Keys {
    return this.host.keys;
  }

  /** Creates the job at status 1; false (and nothing changed) when the id already exists. */
  async create(job: NewJob): Promise<boolean> {
    const k = this.keys;
    const jobKey = k.job(job.jobId);
    const fields: Record<string, string> = {
      jobId: job.jobId,
      agreementId: job.agreementId,
      owner: job.owner.toLowerCase(),
      provider: job.provider.toLowerCase(),
      status: String(JobStatus.Queued),
      statusText: statusText(JobStatus.Queued),
      dateCreated: epochSeconds(job.dateCreatedMs),
      dateFinished: '',
      deadlineMs: '',
      validToMs: String(job.validToMs),
      spec: JSON.stringify(job.spec),
      stopRequested: '',
      exitCode: '',
      reason: '',
      results: '',
      runnerId: '',
      step: '',
      logBytes: '0',
    };
    const created = await this.host.scripts.run<number>(
      'job_create',
      [jobKey, k.ownerJobs(job.owner), k.ownerJobs(job.provider), k.agreementJobs(job.agreementId), k.activeJobs()],
      [job.jobId, job.validToMs, k.wakeChannel(jobKey), ...Object.entries(fields).flat()],
    );
    return created === 1;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const raw = await this.host.redis.hgetall(this.keys.job(jobId));
    return raw.jobId === undefined ? undefined : parseJob(raw);
  }

  /**
   * Moves the job from one of `from` to `to` (compare-and-set), setting `fields`; terminal statuses also set
   * `dateFinished` and leave the watchdog's set. `files` are written atomically with the transition
   * (`fields.results` must describe them). A terminal job never moves.
   */
  async transition(
    jobId: string,
    from: number[],
    to: number,
    fields: JobFields = {},
    files: ResultFile[] = [],
  ): Promise<TransitionOutcome> {
    const k = this.keys;
    const jobKey = k.job(jobId);
    const terminal = isTerminal(to);
    const pairs = fieldPairs(fields);
    const [code, status] = await this.host.scripts.run<[number, number]>(
      'job_transition',
      [jobKey, k.activeJobs(), ...files.map((_, i) => k.jobResult(jobId, fields.results?.[i]?.index ?? i))],
      [
        from.join(','),
        to,
        statusText(to),
        terminal ? '1' : '',
        epochSeconds(),
        k.wakeChannel(jobKey),
        !terminal && fields.deadlineMs !== undefined ? fields.deadlineMs : '',
        pairs.length / 2,
        ...pairs,
        ...(files.map((f) => f.bytes) as unknown as string[]),
      ],
    );
    if (code === 1) return { ok: true, status };
    return { ok: false, status: code === -1 ? undefined : status };
  }

  /**
   * The final transition of a run: stores the result files (index 0 = the algorithm log, then outputs in the
   * given order) and their listing in one step.
   */
  storeResults(
    jobId: string,
    from: number[],
    to: number,
    files: ResultFile[],
    fields: JobFields = {},
  ): Promise<TransitionOutcome> {
    const results: ResultEntry[] = files.map((f, index) => ({
      filename: f.filename,
      filesize: f.bytes.length,
      type: f.type,
      index,
    }));
    return this.transition(jobId, from, to, { ...fields, results }, files);
  }

  /** Jobs where `address` is the requestor or the provider, newest first. */
  async listForParty(address: string): Promise<JobRecord[]> {
    const ids = await this.host.redis.smembers(this.keys.ownerJobs(address));
    return this.getMany(ids);
  }

  async listForAgreement(agreementId: string): Promise<JobRecord[]> {
    return this.getMany(await this.host.redis.smembers(this.keys.agreementJobs(agreementId)));
  }

  private async getMany(ids: string[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.host.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.job(id));
    const rows = (await pipeline.exec()) ?? [];
    const jobs = rows
      .map(([, raw]) => raw as Record<string, string>)
      .filter((raw) => raw && raw.jobId !== undefined)
      .map(parseJob);
    return jobs.sort((a, b) => Number(b.dateCreated) - Number(a.dateCreated));
  }

  /** Appends to the live log tail; returns the total bytes appended, or undefined when the job is gone. */
  async appendLog(jobId: string, chunk: Buffer | string): Promise<number | undefined> {
    const k = this.keys;
    const total = await this.host.scripts.run<number>(
      'job_log_append',
      [k.jobLog(jobId), k.job(jobId)],
      [chunk as string, this.logTailBytes, k.wakeChannel(k.jobLog(jobId))],
    );
    return total < 0 ? undefined : total;
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

  /** A stored result file, or undefined when the job has no result at that index. */
  async readResult(jobId: string, index: number): Promise<(ResultEntry & { bytes: Buffer }) | undefined> {
    const job = await this.get(jobId);
    const entry = job?.results.find((r) => r.index === index);
    if (!entry) return undefined;
    const bytes = await this.host.redis.getBuffer(this.keys.jobResult(jobId, index));
    return bytes === null ? undefined : { ...entry, bytes };
  }

  /**
   * Requests a stop. A job still queued ends at once (status 70, nothing ran); a running job is flagged and
   * its runner kills the algorithm, keeps the logs and finishes the job. Returns the record afterwards.
   */
  async requestStop(jobId: string): Promise<JobRecord | undefined> {
    const k = this.keys;
    const jobKey = k.job(jobId);
    await this.host.scripts.run<number>(
      'job_stop',
      [jobKey, k.activeJobs()],
      [
        k.wakeChannel(jobKey),
        epochSeconds(),
        JobStatus.Finished,
        statusText(JobStatus.Finished),
        'stopped by request before the job started',
      ],
    );
    return this.get(jobId);
  }

  /** Removes the record, its log and results (a running job's runner is woken and kills the algorithm). */
  async delete(jobId: string): Promise<boolean> {
    const k = this.keys;
    for (;;) {
      const job = await this.get(jobId);
      if (!job) return false;
      const resultKeys = job.results.map((r) => k.jobResult(jobId, r.index));
      const outcome = await this.host.scripts.run<number>(
        'job_delete',
        [
          k.job(jobId),
          k.ownerJobs(job.owner),
          k.ownerJobs(job.provider),
          k.agreementJobs(job.agreementId),
          k.activeJobs(),
          k.jobLog(jobId),
          ...resultKeys,
        ],
        [jobId, k.wakeChannel(k.job(jobId))],
      );
      if (outcome !== -2) return outcome === 1;
    }
  }

  /** Unfinished jobs whose watchdog time (validTo while queued, deadline while running) is before `nowMs`. */
  async overdue(nowMs: number, limit = 100): Promise<JobRecord[]> {
    const ids = await this.host.redis.zrangebyscore(this.keys.activeJobs(), '-inf', nowMs, 'LIMIT', 0, limit);
    return this.getMany(ids);
  }
}

function fieldPairs(fields: JobFields): string[] {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    pairs.push(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return pairs;
}

function optionalNumber(raw: string | undefined): number | undefined {
  return raw === undefined || raw === '' ? undefined : Number(raw);
}

function parseJob(raw: Record<string, string>): JobRecord {
  return {
    jobId: raw.jobId,
    agreementId: raw.agreementId,
    owner: raw.owner,
    provider: raw.provider,
    status: Number(raw.status),
    statusText: raw.statusText,
    dateCreated: raw.dateCreated,
    dateFinished: raw.dateFinished ?? '',
    deadlineMs: optionalNumber(raw.deadlineMs),
    validToMs: Number(raw.validToMs),
    spec: JSON.parse(raw.spec) as JobSpec,
    stopRequested: raw.stopRequested === '1',
    exitCode: optionalNumber(raw.exitCode),
    reason: raw.reason ?? '',
    results: raw.results ? (JSON.parse(raw.results) as ResultEntry[]) : [],
    runnerId: raw.runnerId ?? '',
    step: raw.step ?? '',
    logBytes: Number(raw.logBytes ?? 0),
  };
}

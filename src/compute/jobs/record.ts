/**
 * The compute job record: its fields, its codec (Redis hash ⇄ JobRecord) and the Ocean status codes it moves through.
 * Every reader of `keys.job(id)` goes through `parseJob`; every writer through the job scripts in `lua/`.
 */
import { randomHex } from '../../kernel/randomHex';

/**
 * Ocean compute job status codes and their exact wire texts.
 * Texts follow the operator-engine / Provider generation where the two generations differ, and keep
 * Ocean's quirks byte for byte (`Running algorithm ` ends with a space).
 */
export const JobStatus = {
  Queued: 1,
  ExpiredInQueue: 2,
  Started: 10,
  PullImageFailed: 11,
  BuildingImage: 12,
  BuildImageFailed: 13,
  ImageVulnerable: 14,
  ConfiguringVolumes: 20,
  VolumeCreationFailed: 21,
  ContainerCreationFailed: 22,
  Provisioning: 30,
  DataProvisioningFailed: 31,
  AlgorithmProvisioningFailed: 32,
  DataUploadFailed: 33,
  Running: 40,
  RunFailed: 41,
  DiskQuotaExceeded: 42,
  FilteringResults: 50,
  PublishingResults: 60,
  OutputsFailed: 61,
  ResultsUploadFailed: 62,
  Finished: 70,
} as const;

export type JobStatusCode = (typeof JobStatus)[keyof typeof JobStatus];

export const STATUS_TEXT: Record<JobStatusCode, string> = {
  1: 'Warming up',
  2: 'Job expired in queue',
  10: 'Job started',
  11: 'Pulling algorithm image failed',
  12: 'Building algorithm image',
  13: 'Building algorithm image failed',
  14: 'Image has vulnerabilities',
  20: 'Configuring volumes',
  21: 'Volume creation failed',
  22: 'Container creation failed',
  30: 'Provisioning success',
  31: 'Data provisioning failed',
  32: 'Algorithm provisioning failed',
  33: 'Data upload to container failed',
  40: 'Running algorithm ',
  41: 'Failed to run algorithm',
  42: 'Error: disk quota exceeded',
  50: 'Filtering results',
  60: 'Publishing results',
  61: 'Failed to get outputs folder from container',
  62: 'Failed to upload results to storage',
  70: 'Job finished',
};

const RUNNING = new Set<number>([
  JobStatus.Started,
  JobStatus.BuildingImage,
  JobStatus.ConfiguringVolumes,
  JobStatus.Provisioning,
  JobStatus.Running,
  JobStatus.FilteringResults,
  JobStatus.PublishingResults,
]);

export function statusText(code: number): string {
  const text = STATUS_TEXT[code as JobStatusCode];
  if (text === undefined) throw new Error(`unknown job status ${code}`);
  return text;
}

/** Terminal = finished or any failure code; a terminal job never changes status again. */
export function isTerminal(code: number): boolean {
  return code !== JobStatus.Queued && !RUNNING.has(code);
}

/** The failure code a job ends at when it can no longer make progress at `status` (lost runner, deadline). */
export function failureCodeFor(status: number): JobStatusCode {
  if (status === JobStatus.Queued) return JobStatus.ExpiredInQueue;
  if (status === JobStatus.PublishingResults) return JobStatus.OutputsFailed;
  return JobStatus.RunFailed;
}

/** What a job runs; travels in the agreement's demand as `bourse.job.*` (stored as JSON in the job's `spec`). */
export interface JobSpec {
  /** Language runtime the provider allows, e.g. "node", "sh", "python3". */
  runtime: string;
  /** argv without a shell; `$ALGO` stands for the algorithm file. Empty = `[runtime, "$ALGO"]`. */
  entrypoint: string[];
  /** The algorithm's source code (Ocean `rawcode`). */
  algorithm: string;
  /** http(s) or data: URLs, fetched into `inputs/0`, `inputs/1`, … */
  inputs: string[];
  /** File names of the inputs, in order, instead of `0`, `1`, … (an invocation's `invoke.json` and argnames). */
  inputNames?: string[];
  maxDurationSeconds: number;
}

export type ResultType = 'algorithmLog' | 'output';

/** One entry of a finished job's `results` (Ocean's listing); indexes are assigned once and never change. */
export interface ResultEntry {
  filename: string;
  filesize: number;
  type: ResultType;
  index: number;
  /** Hex SHA-256 of the stored bytes, computed by the API on upload. */
  sha256?: string;
}

/** A job record as stored in `keys.job(jobId)`, with fields parsed. */
export interface JobRecord {
  jobId: string;
  agreementId: string;
  owner: string;
  provider: string;
  status: number;
  statusText: string;
  /** Epoch seconds with ms fraction, as text (Ocean's format). */
  dateCreated: string;
  /** Epoch seconds text of the first step a runner reported; '' while queued. */
  dateStarted: string;
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
  /** The runner holding (or last holding) the job. */
  runnerId: string;
  /** The runner that held the job before the current claim ('' for a first claim). */
  previousRunnerId: string;
  /** Last step started, e.g. "40@runner-a" (a resumed step reads "40@runner-b (resumed)"). */
  step: string;
  /** Bytes ever appended to the live log (the tail in `keys.jobLog` keeps only the last part). */
  logBytes: number;
  /** Fencing token of the current claim: grows with every claim and release, so a stale holder is refused. */
  fence: number;
  /** When the current claim lapses unless renewed (ms); undefined while nobody holds the job. */
  leaseUntilMs: number | undefined;
  /** How many times a holder was lost (its lease lapsed); a job lost twice fails. */
  lost: number;
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
  return randomHex(16);
}

export function isJobId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

/** The hash fields of a new job at status 1. */
export function newJobFields(job: NewJob): Record<string, string> {
  return {
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
    previousRunnerId: '',
    step: '',
    logBytes: '0',
    fence: '0',
    leaseUntilMs: '',
    lost: '0',
  };
}

/** Field/value pairs of a transition, flattened for a script (objects as JSON). */
export function fieldPairs(fields: JobFields): string[] {
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

export function parseJob(raw: Record<string, string>): JobRecord {
  return {
    jobId: raw.jobId,
    agreementId: raw.agreementId,
    owner: raw.owner,
    provider: raw.provider,
    status: Number(raw.status),
    statusText: raw.statusText,
    dateCreated: raw.dateCreated,
    dateStarted: raw.dateStarted ?? '',
    dateFinished: raw.dateFinished ?? '',
    deadlineMs: optionalNumber(raw.deadlineMs),
    validToMs: Number(raw.validToMs),
    spec: JSON.parse(raw.spec) as JobSpec,
    stopRequested: raw.stopRequested === '1',
    exitCode: optionalNumber(raw.exitCode),
    reason: raw.reason ?? '',
    results: raw.results ? (JSON.parse(raw.results) as ResultEntry[]) : [],
    runnerId: raw.runnerId ?? '',
    previousRunnerId: raw.previousRunnerId ?? '',
    step: raw.step ?? '',
    logBytes: Number(raw.logBytes ?? 0),
    fence: Number(raw.fence ?? 0),
    leaseUntilMs: optionalNumber(raw.leaseUntilMs),
    lost: Number(raw.lost ?? 0),
  };
}

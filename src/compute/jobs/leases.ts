import path from 'node:path';
import type { Keys } from '../../store/keys';
import { defineScript, hashOf, outcome } from '../../store/scripts';
import { epochSeconds, fieldPairs, isTerminal, JobFields, JobRecord, parseJob, statusText } from './record';
import type { JobStoreHost } from './store';

const lua = (name: string): string => path.join(__dirname, 'lua', `${name}.lua`);

const claimScript = defineScript({
  name: 'job.claim',
  file: lua('claim'),
  keys: ['queue', 'leases'],
  args: ['jobPrefix', 'provider', 'runnerId', 'nowMs', 'leaseMs', 'wakePrefix'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return code === 'ok' ? { fence: Number(values[0]), job: parseJob(hashOf(values.slice(1))) } : undefined;
  },
});

const reportScript = defineScript({
  name: 'job.report',
  file: lua('report'),
  keys: ['job', 'active', 'leases', 'staged'],
  args: ['provider', 'fence', 'to', 'toText', 'terminal', 'now', 'jobWake', 'activeScore'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    const status = values[0] === undefined ? undefined : Number(values[0]);
    return { code: code as ClaimRefusal | 'ok', status, stopRequested: values[1] === '1' };
  },
});

const renewScript = defineScript({
  name: 'job.renew',
  file: lua('renew'),
  keys: ['job', 'leases'],
  args: ['provider', 'fence', 'nowMs', 'leaseMs'],
  parse: (reply) => outcome(reply).code === 'ok',
});

const releaseScript = defineScript({
  name: 'job.release',
  file: lua('release'),
  keys: ['job', 'leases', 'queue', 'active'],
  args: ['fence', 'nowMs', 'mode', 'lapsedOnly', 'failStatus', 'failText', 'reason', 'now', 'jobWake', 'queueWake'],
  parse: (reply) => outcome(reply).code,
});

const stageScript = defineScript({
  name: 'job.stage_result',
  file: lua('stage_result'),
  keys: ['job', 'staged'],
  args: ['provider', 'fence', 'index', 'entry', 'size', 'cap', 'maxFiles'],
  parse: (reply) => outcome(reply).code as ClaimRefusal | 'ok' | 'toolarge' | 'toomany',
});

const logScript = defineScript({
  name: 'job.log_append',
  file: lua('log_append'),
  keys: ['log', 'job'],
  args: ['chunk', 'cap', 'logWake', 'provider', 'fence'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return { code: code as ClaimRefusal | 'ok', total: Number(values[0] ?? 0) };
  },
});

/** Why a holder's write was refused: no such job of this provider, not (any more) its claim, or the job ended. */
export type ClaimRefusal = 'notfound' | 'notheld' | 'ended' | 'backwards';

/** A claim on a job: the holder proves it with the fencing token on every write. */
export interface Claim {
  provider: string;
  jobId: string;
  fence: number;
}

export type ReleaseMode = 'requeue' | 'lost' | 'fail';

const MAX_RESULT_FILES = 1000;

/**
 * A runner's hold on a job, in Redis: claim (one script, exactly one runner gets each job), fenced status reports,
 * log appends and result staging, lease renewal, and release (handed back, or lapsed and re-queued or failed).
 */
export class JobLeases {
  constructor(
    private readonly host: JobStoreHost,
    private readonly logTailBytes: number,
  ) {}

  private get keys(): Keys {
    return this.host.keys;
  }

  /** Takes the next waiting job of `provider` for `runnerId`, or undefined when none waits. */
  claim(provider: string, runnerId: string, leaseMs: number): Promise<{ fence: number; job: JobRecord } | undefined> {
    const k = this.keys;
    return this.host.scripts.call(
      claimScript,
      { queue: k.providerQueue(provider), leases: k.jobLeases() },
      {
        jobPrefix: k.jobPrefix(),
        provider,
        runnerId,
        nowMs: Date.now(),
        leaseMs,
        wakePrefix: k.wakeChannelPrefix(),
      },
    );
  }

  /** The holder moves its job forward (or records a redone step); a terminal status publishes the staged results. */
  report(
    claim: Claim,
    to: number,
    fields: JobFields,
  ): Promise<{ code: ClaimRefusal | 'ok'; status?: number; stopRequested?: boolean }> {
    const k = this.keys;
    const jobKey = k.job(claim.jobId);
    const terminal = isTerminal(to);
    return this.host.scripts.call(
      reportScript,
      { job: jobKey, active: k.activeJobs(), leases: k.jobLeases(), staged: k.jobStagedResults(claim.jobId) },
      {
        provider: claim.provider,
        fence: claim.fence,
        to,
        toText: statusText(to),
        terminal: terminal ? '1' : '',
        now: epochSeconds(),
        jobWake: k.wakeChannel(jobKey),
        activeScore: !terminal && fields.deadlineMs !== undefined ? fields.deadlineMs : '',
      },
      { args: fieldPairs(fields) },
    );
  }

  /** Extends the lease; false when the claim is no longer this holder's. */
  renew(claim: Claim, leaseMs: number): Promise<boolean> {
    const k = this.keys;
    return this.host.scripts.call(
      renewScript,
      { job: k.job(claim.jobId), leases: k.jobLeases() },
      { provider: claim.provider, fence: claim.fence, nowMs: Date.now(), leaseMs },
    );
  }

  /** Ends a claim: back to the queue (`requeue`, or `lost` counting a lost holder) or failed with `reason`. */
  release(
    job: JobRecord,
    mode: ReleaseMode,
    options: { lapsedOnly: boolean; failStatus?: number; reason?: string; nowMs?: number },
  ): Promise<string> {
    const k = this.keys;
    const queue = k.providerQueue(job.provider);
    const failStatus = options.failStatus ?? job.status;
    return this.host.scripts.call(
      releaseScript,
      { job: k.job(job.jobId), leases: k.jobLeases(), queue, active: k.activeJobs() },
      {
        fence: job.fence,
        nowMs: options.nowMs ?? Date.now(),
        mode,
        lapsedOnly: options.lapsedOnly ? '1' : '',
        failStatus,
        failText: statusText(failStatus),
        reason: options.reason ?? '',
        now: epochSeconds(),
        jobWake: k.wakeChannel(k.job(job.jobId)),
        queueWake: k.wakeChannel(queue),
      },
    );
  }

  /** Records a result file's listing entry within the per-job cap (the bytes are stored once this says 'ok'). */
  stageResult(
    claim: Claim,
    entry: { index: number; filename: string; type: string; filesize: number; sha256: string },
    capBytes: number,
  ): Promise<ClaimRefusal | 'ok' | 'toolarge' | 'toomany'> {
    const k = this.keys;
    return this.host.scripts.call(
      stageScript,
      { job: k.job(claim.jobId), staged: k.jobStagedResults(claim.jobId) },
      {
        provider: claim.provider,
        fence: claim.fence,
        index: entry.index,
        entry: JSON.stringify(entry),
        size: entry.filesize,
        cap: capBytes,
        maxFiles: MAX_RESULT_FILES,
      },
    );
  }

  /** Appends the holder's output to the live log tail. */
  appendLog(claim: Claim, chunk: Buffer): Promise<{ code: ClaimRefusal | 'ok'; total: number }> {
    const k = this.keys;
    return this.host.scripts.call(
      logScript,
      { log: k.jobLog(claim.jobId), job: k.job(claim.jobId) },
      {
        chunk: chunk as unknown as string,
        cap: this.logTailBytes,
        logWake: k.wakeChannel(k.jobLog(claim.jobId)),
        provider: claim.provider,
        fence: claim.fence,
      },
    );
  }
}

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ClaimedJob, StatusReport } from '../api/providerJobs';
import { failureCodeFor, JobStatus } from '../jobs/record';
import { ApiError, ApiUnreachable, type ProviderApiClient } from './apiClient';
import type { RunnerConfig } from './config';
import { buildArgv, CommandError } from './executor/command';
import { fetchInput, InputError } from './executor/inputs';
import { inputFileName } from './inputNames';
import { signDeliveryProof } from './proof';
import type { ProcessExecutor, RunLimits, RunOutcome } from './executor/process';
import { readRegularFile, Workspace } from './executor/workspace';
import { LogForwarder } from './logForwarder';
import { runReason } from './outcome';
import { algorithmEnv, watchJob } from './watch';

/** The job is no longer this runner's (stopped-and-finished, failed, deleted, or its claim lapsed): drop it. */
export class Superseded extends Error {}
/** The runner is shutting down: hand the job back, so it resumes elsewhere. */
export class ShuttingDown extends Error {}

/** Part of the overhead kept for publishing results after the run. */
const PUBLISH_ALLOWANCE_MS = 5000;
const RETRY_MS = 500;

export interface RunContext {
  api: ProviderApiClient;
  config: RunnerConfig;
  executor: ProcessExecutor;
  log: Logger;
}

type Fields = Omit<StatusReport, 'fence' | 'status'>;
interface File {
  filename: string;
  type: 'algorithmLog' | 'output';
  bytes: Buffer;
}

/**
 * One execution of one claimed job on this runner: 1 → 10 → 20 → 30 → 40 → 60 → 70 (or a failure code), each step
 * reported to the API before its work starts. A job claimed past status 1 was started by a runner that is gone:
 * its steps are all redone here (each is idempotent, the workspace is rebuilt) while its status only moves
 * forward, within the deadline set when it was first started. Every report carries the claim's fencing token;
 * once the claim is lost (`lost` aborts) the run is killed and nothing more is reported.
 */
export class JobRun {
  private status: number;
  private readonly workspace: Workspace;
  private readonly resumed: boolean;
  private deadlineMs: number | undefined;
  /** Whether a stop was requested, as of the last report's answer. */
  private stopFlag = false;

  constructor(
    private readonly ctx: RunContext,
    private readonly job: ClaimedJob,
    private readonly shutdown: AbortSignal,
    private readonly lost: AbortController,
  ) {
    this.status = job.status;
    this.resumed = job.status !== JobStatus.Queued;
    this.deadlineMs = job.deadlineMs ?? undefined;
    this.workspace = new Workspace(ctx.config.workDir, job.jobId);
  }

  async execute(): Promise<void> {
    try {
      await this.steps();
      await signDeliveryProof(this.ctx, this.job);
    } catch (err) {
      if (err instanceof Superseded || err instanceof ShuttingDown || err instanceof ApiUnreachable) throw err;
      // A runner-side fault (disk full, unreadable workspace…): the job ends with it as the reason.
      this.ctx.log.error({ err, jobId: this.job.jobId }, 'job failed on a runner error');
      await this.finish(failureCodeFor(this.status), {
        reason: `runner error at status ${this.status}: ${(err as Error).message}`,
      });
    } finally {
      await this.workspace.remove().catch(() => undefined);
    }
  }

  private async steps(): Promise<void> {
    const { config, executor } = this.ctx;
    await this.claim();
    await this.enter(JobStatus.ConfiguringVolumes);
    await this.workspace.prepare(executor.sandbox.workspaceOwner);
    if (this.stopRequested()) return this.publish({ reason: 'stopped by request before the algorithm ran' });

    await this.enter(JobStatus.Provisioning);
    const { spec } = this.job;
    let argv: string[];
    try {
      const algorithmPath = path.posix.join(executor.sandbox.dataRoot(this.workspace), 'transformations', 'algorithm');
      argv = buildArgv(spec, config, algorithmPath);
      await fs.writeFile(this.workspace.algorithmFile, spec.algorithm, { mode: 0o644 });
    } catch (err) {
      if (err instanceof CommandError)
        return this.finish(JobStatus.AlgorithmProvisioningFailed, { reason: err.message });
      throw err;
    }
    try {
      await this.fetchInputs();
    } catch (err) {
      if (err instanceof InputError) return this.finish(JobStatus.DataProvisioningFailed, { reason: err.message });
      throw err;
    }

    const deadlineMs = this.deadlineMs as number;
    const wallClockMs = Math.min(spec.maxDurationSeconds, config.maxJobDurationSeconds) * 1000;
    const leftMs = deadlineMs - Date.now() - PUBLISH_ALLOWANCE_MS;
    if (leftMs <= 0)
      return this.finish(JobStatus.RunFailed, {
        reason: `no time left before the job's deadline ${new Date(deadlineMs).toISOString()}`,
      });
    await this.enter(JobStatus.Running);
    if (this.stopRequested()) return this.publish({ reason: 'stopped by request before the algorithm ran' });
    const runMs = Math.min(wallClockMs, leftMs);
    const limits: RunLimits = {
      memoryBytes: config.memoryBytes,
      diskBytes: config.diskBytes,
      wallClockMs: runMs,
      cpuSeconds: (runMs / 1000) * config.cores + 1,
      maxLogBytes: config.maxLogBytes,
      maxProcesses: config.maxProcesses,
    };
    const outcome = await this.runAlgorithm(argv, limits);
    if (outcome.spawnError)
      return this.finish(
        JobStatus.RunFailed,
        { reason: `the algorithm could not be started: ${outcome.spawnError}` },
        true,
      );
    const finalStatus = outcome.killedFor === 'disk' ? JobStatus.DiskQuotaExceeded : JobStatus.Finished;
    await this.publish({ exitCode: outcome.exitCode, reason: runReason(outcome, limits) }, finalStatus);
  }

  /** 1 → 10 with a deadline; or, for a job a lost runner had started, a record that this runner redoes it. */
  private async claim(): Promise<void> {
    const { config } = this.ctx;
    if (!this.resumed) {
      const maxSeconds = Math.min(this.job.spec.maxDurationSeconds, config.maxJobDurationSeconds);
      this.deadlineMs = Date.now() + maxSeconds * 1000 + config.overheadMs;
      await this.move(JobStatus.Started, { deadlineMs: this.deadlineMs, step: this.stepName(JobStatus.Started) });
      return;
    }
    const previous = this.job.previousRunnerId || '?';
    await this.move(this.status, { step: `resume@${config.runnerId}` });
    const note = `[bourse] runner ${previous} was lost at status ${this.status}; runner ${config.runnerId} redoes the job\n`;
    await this.retrying(() => this.ctx.api.appendLog(this.job.jobId, this.job.fence, Buffer.from(note)));
    this.ctx.log.info({ jobId: this.job.jobId, previous, status: this.status }, 'resuming a job');
  }

  private stepName(status: number): string {
    const { runnerId } = this.ctx.config;
    return `${status}@${runnerId}${this.resumed && status <= this.status ? ' (resumed)' : ''}`;
  }

  /** Reports that step `to` starts: the status moves forward, or (redoing a step of a resumed job) only `step`. */
  private async enter(to: number): Promise<void> {
    if (this.shutdown.aborted) throw new ShuttingDown();
    await this.move(Math.max(to, this.status), { step: this.stepName(to) });
  }

  /**
   * Calls the API until it answers, while the claim holds: an unreachable API is retried (the lease covers short
   * outages); a refusal of the job (404, 409, 410) means the claim is gone.
   */
  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.lost.signal.aborted) throw new Superseded('the claim on the job was lost');
      if (this.shutdown.aborted) throw new ShuttingDown();
      try {
        return await call();
      } catch (err) {
        if (err instanceof ApiError && [404, 409, 410].includes(err.status)) {
          this.lost.abort();
          throw new Superseded(err.message);
        }
        if (!(err instanceof ApiUnreachable)) throw err;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private async move(to: number, fields: Fields): Promise<void> {
    const report = { fence: this.job.fence, status: to, ...fields };
    const answer = await this.retrying(() => this.ctx.api.report(this.job.jobId, report));
    this.stopFlag = answer.stopRequested;
    this.status = to;
  }

  /** Whether a stop was requested by the time of the last report (a refused report already ended the run). */
  private stopRequested(): boolean {
    return this.stopFlag;
  }

  private async fetchInputs(): Promise<void> {
    const { config } = this.ctx;
    let budget = config.maxInputBytes;
    for (const [index, url] of this.job.spec.inputs.entries()) {
      budget -= await fetchInput(url, path.join(this.workspace.inputs, inputFileName(this.job.spec, index)), {
        allowedHosts: config.inputHosts,
        maxBytes: budget,
        timeoutMs: config.inputTimeoutMs,
      });
    }
  }

  /** Runs the algorithm while watching the job for a stop request, its end elsewhere, or the loss of the claim. */
  private async runAlgorithm(argv: string[], limits: RunLimits): Promise<RunOutcome> {
    const { api, log, executor } = this.ctx;
    const kill = new AbortController();
    const runDone = new AbortController();
    const onAbort = (): void => kill.abort();
    this.shutdown.addEventListener('abort', onAbort, { once: true });
    this.lost.signal.addEventListener('abort', onAbort, { once: true });
    let gone = false;
    const watching = watchJob(api, this.job, runDone.signal).then((what) => {
      if (what === 'gone') gone = true;
      if (what) kill.abort();
    });
    const forwarder = new LogForwarder(
      (chunk) => api.appendLog(this.job.jobId, this.job.fence, chunk),
      log,
      this.job.jobId,
    );
    const env = algorithmEnv(executor.sandbox.dataRoot(this.workspace), argv[0]);
    try {
      return await executor.run({
        workspace: this.workspace,
        argv,
        env,
        limits,
        signal: kill.signal,
        onLog: (chunk) => forwarder.push(chunk),
      });
    } finally {
      runDone.abort();
      this.shutdown.removeEventListener('abort', onAbort);
      this.lost.signal.removeEventListener('abort', onAbort);
      await watching;
      await forwarder.flush();
      // eslint-disable-next-line no-unsafe-finally -- the run's own outcome is void when the job moved on meanwhile
      if (gone || this.lost.signal.aborted) throw new Superseded('job finished, deleted or lost while running');
      // eslint-disable-next-line no-unsafe-finally
      if (this.shutdown.aborted) throw new ShuttingDown();
    }
  }

  /** Ends the job at `status` from whatever status it is at; its results are the log when `withLog`, else none. */
  private async finish(status: number, fields: Fields, withLog = false): Promise<void> {
    if (withLog) await this.upload(0, await this.logFile());
    await this.move(status, { ...fields, step: this.stepName(status) });
  }

  private async logFile(): Promise<File> {
    const bytes = await readRegularFile(this.workspace.logFile).catch(() => Buffer.alloc(0));
    return { filename: 'algorithm.log', type: 'algorithmLog', bytes };
  }

  private upload(index: number, file: File): Promise<void> {
    return this.retrying(() => this.ctx.api.uploadResult(this.job.jobId, this.job.fence, { index, ...file }));
  }

  /** 60: uploads the log and the outputs, then reports the final status (70, or 42 after a disk kill). */
  private async publish(fields: Fields, finalStatus: number = JobStatus.Finished): Promise<void> {
    await this.enter(JobStatus.PublishingResults);
    const log = await this.logFile();
    const outputs = await this.workspace.outputFiles();
    const total = log.bytes.length + outputs.reduce((sum, f) => sum + f.size, 0);
    const { maxResultBytes } = this.ctx.config;
    await this.upload(0, log);
    let refusal: string | undefined;
    if (total > maxResultBytes)
      refusal = `results (${total} bytes) exceed this runner's limit of ${maxResultBytes} bytes; only the log was kept`;
    for (const [i, output] of outputs.entries()) {
      if (refusal) break;
      const file: File = { filename: output.filename, type: 'output', bytes: await readRegularFile(output.path) };
      try {
        await this.upload(i + 1, file);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 413)) throw err;
        refusal = `results exceed the API's limit: ${err.message}`;
      }
    }
    if (refusal) {
      const reason = fields.reason ? `${fields.reason}; ${refusal}` : refusal;
      const status = JobStatus.ResultsUploadFailed;
      return this.move(status, { ...fields, reason, step: this.stepName(status) });
    }
    await this.move(finalStatus, { ...fields, step: this.stepName(finalStatus) });
  }
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../kernel/config';
import { Waiter } from '../events/waiter';
import { Keys } from '../store/keys';
import { isConnectionError, openRedis } from '../store/redis';
import { Scripts } from '../store/scripts';
import { buildArgv, CommandError } from './executor/command';
import { fetchInput, InputError } from './executor/inputs';
import { ProcessExecutor, RunOutcome } from './executor/process';
import { createSandbox } from './executor/sandbox';
import { readRegularFile, Workspace } from './executor/workspace';
import { heartbeatOf, removeHeartbeat, writeHeartbeat } from './heartbeat';
import { JobFields, JobRecord, JobStore, ResultFile } from './jobs';
import { QueuedJob, queueName } from './queue';
import type { RunnerConfig } from './runnerConfig';
import { failureCodeFor, isTerminal, JobStatus, statusText } from './statuses';
import { Watchdog } from './watchdog';

/** What a runner works with: its own connections (it is not an API instance). */
export interface RunnerHost {
  redis: Redis;
  subscriber: Redis;
  keys: Keys;
  scripts: Scripts;
  waiter: Waiter;
  log: Logger;
}

/** The job was changed under us (stopped-and-finished, failed by the watchdog, deleted): drop it quietly. */
class Superseded extends Error {}
/** The runner is shutting down: leave the job where it is, so it resumes elsewhere. */
class ShuttingDown extends Error {}

const LOG_FLUSH_MS = 250;
/** Part of the overhead kept for publishing results after the run. */
const PUBLISH_ALLOWANCE_MS = 5000;
const MiB = 1024 ** 2;

/** Batches a run's output into the job's live log tail. */
class LogForwarder {
  private pending: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: JobStore,
    private readonly jobId: string,
    private readonly log: Logger,
  ) {}

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.timer ??= setTimeout(() => this.flush(), LOG_FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    if (chunk.length > 0) {
      this.flushing = this.flushing
        .then(() => this.store.appendLog(this.jobId, chunk))
        .then(
          () => undefined,
          (err) => this.log.warn({ err, jobId: this.jobId }, 'live log append failed'),
        );
    }
    return this.flushing;
  }
}

/** Why the run ended, as the job's `reason` (empty for a clean exit). */
function runReason(
  outcome: RunOutcome,
  limits: { wallClockMs: number; memoryBytes: number; diskBytes: number },
): string {
  switch (outcome.killedFor) {
    case 'timeout':
      return `wall-clock limit of ${Math.round(limits.wallClockMs / 100) / 10} s exceeded: the algorithm was killed`;
    case 'memory':
      return `memory limit of ${Math.round(limits.memoryBytes / MiB)} MiB exceeded: the algorithm was killed`;
    case 'disk':
      return `disk limit of ${Math.round(limits.diskBytes / MiB)} MiB exceeded: the algorithm was killed`;
    case 'stop':
      return 'stopped by request: the algorithm was killed';
    default:
      if (outcome.signal) return `the algorithm was killed by ${outcome.signal}`;
      return outcome.exitCode === 0 ? '' : `the algorithm exited with code ${outcome.exitCode}`;
  }
}

/**
 * One execution of one job on this runner: 1 → 10 → 20 → 30 → 40 → 60 → 70 (or a failure code), each step
 * recorded (status or `step`) before its work starts. A job found past status 1 was started by a runner that
 * is gone: its steps are all redone here (each is idempotent, the workspace is rebuilt) while its status only
 * moves forward, within the deadline set when it was first started.
 */
class JobRun {
  private status: number;
  private readonly workspace: Workspace;
  private readonly resumed: boolean;

  constructor(
    private readonly processor: JobProcessor,
    private job: JobRecord,
    private readonly shutdown: AbortSignal,
  ) {
    this.status = job.status;
    this.resumed = job.status !== JobStatus.Queued;
    this.workspace = new Workspace(processor.config.workDir, job.jobId);
  }

  private get config(): RunnerConfig {
    return this.processor.config;
  }

  private get store(): JobStore {
    return this.processor.store;
  }

  async execute(): Promise<void> {
    try {
      await this.steps();
    } catch (err) {
      if (err instanceof Superseded || err instanceof ShuttingDown || isConnectionError(err)) throw err;
      // A runner-side fault (disk full, unreadable workspace…): the job ends with it as the reason.
      this.processor.host.log.error({ err, jobId: this.job.jobId }, 'job failed on a runner error');
      await this.finish(failureCodeFor(this.status), {
        reason: `runner error at status ${this.status}: ${(err as Error).message}`,
      });
    } finally {
      await this.workspace.remove().catch(() => undefined);
    }
  }

  private async steps(): Promise<void> {
    await this.claim();
    await this.enter(JobStatus.ConfiguringVolumes);
    await this.workspace.prepare(this.processor.executor.sandbox.workspaceOwner);
    if (await this.stopRequested()) return this.publish({ reason: 'stopped by request before the algorithm ran' });

    await this.enter(JobStatus.Provisioning);
    const { spec } = this.job;
    let argv: string[];
    try {
      argv = buildArgv(
        spec,
        this.config,
        path.posix.join(this.processor.executor.sandbox.dataRoot(this.workspace), 'transformations', 'algorithm'),
      );
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
    if (await this.stopRequested()) return this.publish({ reason: 'stopped by request before the algorithm ran' });

    const deadlineMs = this.job.deadlineMs as number;
    const wallClockMs = Math.min(spec.maxDurationSeconds, this.config.maxJobDurationSeconds) * 1000;
    const leftMs = deadlineMs - Date.now() - PUBLISH_ALLOWANCE_MS;
    if (leftMs <= 0)
      return this.finish(JobStatus.RunFailed, {
        reason: `no time left before the job's deadline ${new Date(deadlineMs).toISOString()}`,
      });
    await this.enter(JobStatus.Running);
    const limits = {
      memoryBytes: this.config.memoryBytes,
      diskBytes: this.config.diskBytes,
      wallClockMs: Math.min(wallClockMs, leftMs),
      cpuSeconds: (Math.min(wallClockMs, leftMs) / 1000) * this.config.cores + 1,
      maxLogBytes: this.config.maxLogBytes,
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

  /** 1 → 10 with a deadline; or, for a job a lost runner had started, a record that this runner resumes it. */
  private async claim(): Promise<void> {
    if (!this.resumed) {
      const maxSeconds = Math.min(this.job.spec.maxDurationSeconds, this.config.maxJobDurationSeconds);
      const deadlineMs = Date.now() + maxSeconds * 1000 + this.config.overheadMs;
      await this.move(JobStatus.Started, {
        runnerId: this.config.runnerId,
        deadlineMs,
        step: this.stepName(JobStatus.Started),
      });
      this.job = { ...this.job, deadlineMs, runnerId: this.config.runnerId };
      return;
    }
    const previous = this.job.runnerId;
    await this.move(this.status, { runnerId: this.config.runnerId, step: `resume@${this.config.runnerId}` });
    await this.store.appendLog(
      this.job.jobId,
      `[bourse] runner ${previous || '?'} was lost at status ${this.status}; runner ${this.config.runnerId} redoes the job\n`,
    );
    this.processor.host.log.info({ jobId: this.job.jobId, previous, status: this.status }, 'resuming a job');
  }

  private stepName(status: number): string {
    return `${status}@${this.config.runnerId}${this.resumed && status <= this.status ? ' (resumed)' : ''}`;
  }

  /**
   * Records that step `to` starts: the status moves forward, or (redoing a step of a resumed job) only `step` is
   * written.
   */
  private async enter(to: number): Promise<void> {
    if (this.shutdown.aborted) throw new ShuttingDown();
    await this.move(Math.max(to, this.status), { step: this.stepName(to) });
  }

  private async move(to: number, fields: JobFields, files: ResultFile[] = []): Promise<void> {
    const outcome =
      files.length > 0 || fields.results
        ? await this.store.storeResults(this.job.jobId, [this.status], to, files, fields)
        : await this.store.transition(this.job.jobId, [this.status], to, fields);
    if (!outcome.ok)
      throw new Superseded(`job ${this.job.jobId} is at ${outcome.status ?? 'deleted'}, expected ${this.status}`);
    this.status = to;
  }

  private async stopRequested(): Promise<boolean> {
    const job = await this.store.get(this.job.jobId);
    if (!job || isTerminal(job.status)) throw new Superseded('job finished or deleted elsewhere');
    return job.stopRequested;
  }

  private async fetchInputs(): Promise<void> {
    let budget = this.config.maxInputBytes;
    for (const [index, url] of this.job.spec.inputs.entries()) {
      budget -= await fetchInput(url, path.join(this.workspace.inputs, String(index)), {
        allowedHosts: this.config.inputHosts,
        maxBytes: budget,
        timeoutMs: this.config.inputTimeoutMs,
      });
    }
  }

  /** Runs the algorithm while watching the job for a stop request or its disappearance. */
  private async runAlgorithm(
    argv: string[],
    limits: Parameters<ProcessExecutor['run']>[0]['limits'],
  ): Promise<RunOutcome> {
    const { host } = this.processor;
    const kill = new AbortController();
    const runDone = new AbortController();
    const onShutdown = (): void => kill.abort();
    this.shutdown.addEventListener('abort', onShutdown, { once: true });
    let gone = false;
    const watching = this.watch(runDone.signal).then((what) => {
      if (what === 'gone') gone = true;
      if (what) kill.abort();
    });
    const forwarder = new LogForwarder(this.store, this.job.jobId, host.log);
    const dataRoot = this.processor.executor.sandbox.dataRoot(this.workspace);
    const env = {
      PATH: `${path.dirname(argv[0])}:/usr/local/bin:/usr/bin:/bin`,
      HOME: dataRoot,
      LANG: 'C.UTF-8',
      INPUTS: path.posix.join(dataRoot, 'inputs'),
      OUTPUTS: path.posix.join(dataRoot, 'outputs'),
      ALGO: path.posix.join(dataRoot, 'transformations', 'algorithm'),
    };
    try {
      return await this.processor.executor.run({
        workspace: this.workspace,
        argv,
        env,
        limits,
        signal: kill.signal,
        onLog: (chunk) => forwarder.push(chunk),
      });
    } finally {
      runDone.abort();
      this.shutdown.removeEventListener('abort', onShutdown);
      await watching;
      await forwarder.flush();
      // eslint-disable-next-line no-unsafe-finally -- the run's own outcome is void when the job moved on meanwhile
      if (gone) throw new Superseded('job finished or deleted while running');
      // eslint-disable-next-line no-unsafe-finally
      if (this.shutdown.aborted) throw new ShuttingDown();
    }
  }

  /**
   * Resolves 'stop' at a stop request, 'gone' when the job was deleted or finished elsewhere, undefined when `done`
   * aborts.
   */
  private async watch(done: AbortSignal): Promise<'stop' | 'gone' | undefined> {
    const { redis, keys, waiter } = this.processor.host;
    const key = keys.job(this.job.jobId);
    while (!done.aborted) {
      try {
        const found = await waiter.poll([key], 60_000, done, async () => {
          const [stop, finished, status] = await redis.hmget(key, 'stopRequested', 'dateFinished', 'status');
          if (status === null || finished) return 'gone' as const;
          return stop === '1' ? ('stop' as const) : undefined;
        });
        if (found) return found;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    return undefined;
  }

  /** Ends the job at `status` from whatever status it is at; its results are the log when `withLog`, else none. */
  private async finish(status: number, fields: JobFields, withLog = false): Promise<void> {
    const files = withLog ? [await this.logFile()] : [];
    await this.move(status, { ...fields, results: [], step: this.stepName(status) }, files);
  }

  private async logFile(): Promise<ResultFile> {
    const bytes = await readRegularFile(this.workspace.logFile).catch(() => Buffer.alloc(0));
    return { filename: 'algorithm.log', type: 'algorithmLog', bytes };
  }

  /** 60: collects the log and the outputs and stores them with the final status (70, or 42 after a disk kill). */
  private async publish(fields: JobFields, finalStatus: number = JobStatus.Finished): Promise<void> {
    await this.enter(JobStatus.PublishingResults);
    const files = [await this.logFile()];
    const outputs = await this.workspace.outputFiles();
    const total = files[0].bytes.length + outputs.reduce((sum, f) => sum + f.size, 0);
    if (total > this.config.maxResultBytes) {
      const reason = `results (${total} bytes) exceed this runner's limit of ${this.config.maxResultBytes} bytes; only the log was kept`;
      await this.move(
        JobStatus.ResultsUploadFailed,
        {
          ...fields,
          reason: fields.reason ? `${fields.reason}; ${reason}` : reason,
          step: this.stepName(JobStatus.ResultsUploadFailed),
        },
        files,
      );
      return;
    }
    for (const output of outputs)
      files.push({ filename: output.filename, type: 'output', bytes: await readRegularFile(output.path) });
    await this.move(finalStatus, { ...fields, step: this.stepName(finalStatus) }, files);
  }
}

/** Executes queued jobs of this runner's provider (the BullMQ processor) and tracks what runs here. */
export class JobProcessor {
  readonly store: JobStore;
  private readonly running = new Map<string, AbortController>();

  constructor(
    readonly host: RunnerHost,
    readonly config: RunnerConfig,
    readonly executor: ProcessExecutor,
  ) {
    this.store = new JobStore(host);
  }

  get currentJobs(): number {
    return this.running.size;
  }

  async process(jobId: string): Promise<void> {
    const job = await this.store.get(jobId);
    if (!job || isTerminal(job.status)) return;
    if (job.provider !== this.config.provider) {
      this.host.log.warn({ jobId, provider: job.provider }, 'job of another provider on this queue: ignored');
      return;
    }
    const shutdown = new AbortController();
    this.running.set(jobId, shutdown);
    try {
      await new JobRun(this, job, shutdown.signal).execute();
    } catch (err) {
      if (err instanceof Superseded) {
        this.host.log.info({ jobId, why: err.message }, 'job changed elsewhere; dropped');
        return;
      }
      throw err; // shutdown or Redis trouble: BullMQ retries, and the next attempt resumes the job
    } finally {
      this.running.delete(jobId);
    }
  }

  /**
   * BullMQ gave up on the job (lost runners, repeated errors): end it with the reason instead of leaving it running.
   */
  async giveUp(jobId: string, why: string): Promise<void> {
    const job = await this.store.get(jobId);
    if (!job || isTerminal(job.status)) return;
    const outcome = await this.store.transition(jobId, [job.status], failureCodeFor(job.status), {
      reason: `${why} (at status ${job.status}, ${statusText(job.status).trim()})`,
      results: job.results,
    });
    if (outcome.ok) this.host.log.warn({ jobId, why }, 'job failed: runners gave up');
  }

  /** Kills every local run without touching its job record, so each resumes on another runner. */
  shutdown(): void {
    for (const controller of this.running.values()) controller.abort();
  }
}

export interface RunnerOptions {
  config: Config;
  runner: RunnerConfig;
  redisUrl: string;
  log: Logger;
}

/** `bourse runner`: the BullMQ worker for its provider's queue, the watchdog and the heartbeat. */
export class Runner {
  private heartbeatTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly host: RunnerHost,
    readonly config: RunnerConfig,
    readonly processor: JobProcessor,
    private readonly worker: Worker<QueuedJob>,
    private readonly watchdog: Watchdog,
  ) {}

  static async start(options: RunnerOptions): Promise<Runner> {
    const { runner: config, redisUrl } = options;
    const log = options.log.child({ runnerId: config.runnerId });
    const executor = new ProcessExecutor(createSandbox(config.sandbox, config.keyFile ? [config.keyFile] : []));
    if (config.sandbox === 'none') log.warn('BOURSE_SANDBOX=none: jobs run WITHOUT isolation (local development only)');
    await fs.mkdir(config.workDir, { recursive: true });
    // The sandbox user must be able to reach its job directory inside the work dir (but not list others).
    if (executor.sandbox.workspaceOwner) await fs.chmod(config.workDir, 0o711);
    const keys = new Keys(options.config.keyPrefix);
    const redis = await openRedis(redisUrl, 'bourse-runner', log);
    const subscriber = await openRedis(redisUrl, 'bourse-runner-sub', log);
    const scripts = new Scripts(redis);
    await scripts.load();
    const host: RunnerHost = { redis, subscriber, keys, scripts, waiter: new Waiter(subscriber, keys), log };
    const processor = new JobProcessor(host, config, executor);
    // A lost runner is noticed once its lock has expired and two stalled checks saw the job unlocked:
    // lock = interval/4 and a check every interval/4 keep that within 3/4 of the configured stall interval.
    const quarter = Math.max(100, Math.floor(config.stallIntervalMs / 4));
    const worker = new Worker<QueuedJob>(queueName(config.provider), (job) => processor.process(job.data.jobId), {
      connection: { url: redisUrl, maxRetriesPerRequest: null },
      prefix: keys.queuePrefix(),
      concurrency: config.concurrency,
      lockDuration: quarter,
      stalledInterval: quarter,
      maxStalledCount: 1,
      name: config.runnerId,
    });
    worker.on('error', (err) => log.warn({ err }, 'queue worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/.test(err.message);
      if (final)
        void processor
          .giveUp(job.data.jobId, `runners gave up on the job: ${err.message}`)
          .catch((e) => log.warn({ err: e }, 'could not record a failed job'));
    });
    const watchdog = new Watchdog(processor.store, log, config.watchdogMs);
    watchdog.start();
    const instance = new Runner(host, config, processor, worker, watchdog);
    await instance.beat();
    instance.heartbeatTimer = setInterval(
      () => void instance.beat().catch((err) => log.warn({ err }, 'heartbeat failed')),
      config.heartbeatMs,
    );
    instance.heartbeatTimer.unref();
    log.info(
      {
        provider: config.provider,
        sandbox: config.sandbox,
        concurrency: config.concurrency,
        queue: queueName(config.provider),
      },
      'bourse runner started',
    );
    return instance;
  }

  private beat(): Promise<void> {
    return writeHeartbeat(this.host.redis, this.host.keys, heartbeatOf(this.config, this.processor.currentJobs));
  }

  /** Stops taking jobs, kills local runs (their jobs resume on another runner), removes the heartbeat. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    this.processor.shutdown();
    await this.worker.close();
    await this.watchdog.stop();
    await removeHeartbeat(this.host.redis, this.host.keys, this.config.runnerId).catch(() => undefined);
    this.host.waiter.shutdown();
    this.host.subscriber.disconnect();
    await this.host.redis.quit().catch(() => this.host.redis.disconnect());
    this.host.log.info('bourse runner stopped');
  }
}

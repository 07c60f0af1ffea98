import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { Periodic } from '../../kernel/loops';
import type { ClaimedJob } from '../api/providerJobs';
import { ActivityRunner } from './activityRun';
import { ProviderApiClient } from './apiClient';
import { Capacity } from './capacity';
import type { RunnerConfig } from './config';
import { ProcessExecutor } from './executor/process';
import { createSandbox } from './executor/sandbox';
import { JobRun, ShuttingDown, Superseded } from './jobRun';

const CLAIM_WAIT_SECONDS = 20;
const RETRY_MS = 1000;
const GiB = 1024 ** 3;

/** A job this runner holds: its claim, when the lease ends at the latest, and how to kill its run. */
interface Holding {
  fence: number;
  leaseEndsAt: number;
  lost: AbortController;
}

/**
 * `bourse runner`: a pure HTTP client of the API. It claims its provider's jobs (long-poll), runs them one per slot,
 * renews their leases with every heartbeat, and kills a run whose lease it could not renew in time, so a job never
 * runs here after the API may have handed it to another runner.
 */
export class Runner {
  private readonly holding = new Map<string, Holding>();
  private readonly stopping = new AbortController();
  private readonly shutdown = new AbortController();
  private readonly heartbeat: Periodic;
  private readonly leaseCheck: NodeJS.Timeout;
  private readonly slots: Promise<void>[];
  /** The one budget of jobs and activities (BOURSE_RUNNER_CONCURRENCY units). */
  private readonly capacity: Capacity;
  /** Golem activities (ExeScript batches) of this provider, beside its jobs. */
  private readonly activities: ActivityRunner;
  /** The API refuses leases shorter than this, and a lease is trusted until this much before its end. */
  private readonly marginMs: number;

  private constructor(
    readonly config: RunnerConfig,
    readonly api: ProviderApiClient,
    private readonly executor: ProcessExecutor,
    private readonly log: Logger,
  ) {
    this.marginMs = Math.max(100, Math.floor(config.stallIntervalMs / 5));
    this.heartbeat = new Periodic('runner heartbeat', config.heartbeatMs, () => this.beat(), log);
    this.leaseCheck = setInterval(() => this.killLapsed(), Math.max(50, Math.floor(config.stallIntervalMs / 10)));
    this.leaseCheck.unref();
    this.capacity = new Capacity(config.concurrency);
    this.slots = Array.from({ length: config.concurrency }, () => this.slot());
    this.activities = new ActivityRunner({ api, config, executor, log }, this.capacity, this.stopping.signal);
  }

  /** Starts the runner; throws when its sandbox is not available. */
  static async start(config: RunnerConfig, parentLog: Logger): Promise<Runner> {
    const log = parentLog.child({ runnerId: config.runnerId });
    const executor = new ProcessExecutor(createSandbox(config.sandbox, config.keyFile ? [config.keyFile] : []));
    if (config.sandbox === 'none') log.warn('BOURSE_SANDBOX=none: jobs run WITHOUT isolation (local development only)');
    await removeWorkspaces(config.workDir);
    // The sandbox user must be able to reach its job directory inside the work dir (but not list others).
    if (executor.sandbox.workspaceOwner) await fs.chmod(config.workDir, 0o711);
    const api = new ProviderApiClient(config.apiUrls, config.wallet, log);
    const runner = new Runner(config, api, executor, log);
    await runner.heartbeat.tick();
    runner.heartbeat.start();
    log.info(
      { provider: config.provider, sandbox: config.sandbox, concurrency: config.concurrency, api: config.apiUrls },
      'bourse runner started',
    );
    return runner;
  }

  get currentJobs(): number {
    return this.holding.size;
  }

  /** One slot: once a unit of the budget is free, reserve it and claim a job, run it, repeat. */
  private async slot(): Promise<void> {
    const stopping = this.stopping.signal;
    let failing = false;
    while (!stopping.aborted) {
      const reservation = this.capacity.reserve();
      if (!reservation) {
        await this.capacity.changed(stopping);
        continue;
      }
      let job: ClaimedJob | undefined;
      try {
        const signal = AbortSignal.any([stopping, reservation.signal]);
        job = await this.api.claim(this.config.runnerId, this.config.stallIntervalMs, CLAIM_WAIT_SECONDS, signal);
        if (failing) this.log.info('claiming jobs again');
        failing = false;
      } catch (err) {
        this.capacity.cancel(reservation);
        if (stopping.aborted || reservation.signal.aborted) continue; // an activity took the unit
        if (!failing) this.log.warn({ err: (err as Error).message }, 'claiming a job failed; retrying');
        failing = true;
        await pause(RETRY_MS, stopping);
        continue;
      }
      if (!job) this.capacity.cancel(reservation);
      else if (!this.capacity.confirm(reservation)) {
        // An activity took the unit while this job was being handed over: the job resumes elsewhere at once.
        await this.api.release(job.jobId, job.fence).catch(() => undefined);
      } else {
        try {
          await this.run(job);
        } finally {
          this.capacity.release();
        }
      }
    }
  }

  private async run(job: ClaimedJob): Promise<void> {
    const { jobId, fence } = job;
    const lost = new AbortController();
    this.holding.set(jobId, { fence, lost, leaseEndsAt: Date.now() + job.leaseMs - this.marginMs });
    const context = { api: this.api, config: this.config, executor: this.executor, log: this.log };
    try {
      await new JobRun(context, job, this.shutdown.signal, lost).execute();
    } catch (err) {
      if (err instanceof Superseded) this.log.info({ jobId, why: err.message }, 'job no longer ours; dropped');
      else if (err instanceof ShuttingDown)
        await this.api.release(jobId, fence).catch(() => undefined); // resumes on another runner at once
      else this.log.warn({ jobId, err: (err as Error).message }, 'job left to its lease (the API was unreachable)');
    } finally {
      this.holding.delete(jobId);
    }
  }

  /** Kills every run whose lease may have ended: past that point the API may hand the job to another runner. */
  private killLapsed(): void {
    const now = Date.now();
    for (const [jobId, held] of this.holding) {
      if (now < held.leaseEndsAt || held.lost.signal.aborted) continue;
      this.log.warn({ jobId }, 'could not renew the lease of a job in time: killing its run');
      held.lost.abort();
    }
  }

  /** Announces this runner (its environment and load) and renews the leases of the jobs it holds. */
  private async beat(leaving = false): Promise<void> {
    const { config } = this;
    const held = [...this.holding].map(([jobId, h]) => ({ jobId, fence: h.fence }));
    const sentAt = Date.now();
    const { lost } = await this.api.heartbeat(
      {
        runnerId: config.runnerId,
        cores: config.cores,
        memoryGiB: Math.round((config.memoryBytes / GiB) * 1000) / 1000,
        diskGiB: Math.round((config.diskBytes / GiB) * 1000) / 1000,
        maxJobDuration: config.maxJobDurationSeconds,
        price: config.priceCoeffs,
        runtimes: config.runtimes,
        currentJobs: this.capacity.inUse,
        maxJobs: config.concurrency,
        heartbeatMs: config.heartbeatMs,
        leaseMs: config.stallIntervalMs,
        jobs: held,
        leaving,
      },
      Math.floor(config.stallIntervalMs / 2),
    );
    for (const { jobId, fence } of held) {
      const holding = this.holding.get(jobId);
      if (!holding || holding.fence !== fence) continue;
      if (lost.includes(jobId)) holding.lost.abort();
      else holding.leaseEndsAt = Math.max(holding.leaseEndsAt, sentAt + config.stallIntervalMs - this.marginMs);
    }
  }

  /** Stops claiming, kills local runs and hands their jobs back (they resume on another runner), says goodbye. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.shutdown.abort();
    await Promise.all([...this.slots, this.activities.stop()]);
    await this.heartbeat.stop();
    clearInterval(this.leaseCheck);
    await this.beat(true).catch(() => undefined);
    this.log.info('bourse runner stopped');
  }
}

/**
 * Waits `ms` or until `signal` aborts. The timer is deliberately not unref'd: a runner whose API keeps failing is
 * still a running runner, and its process must not exit just because nothing else is pending.
 */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Removes every job workspace left in the work dir: at start this runner holds no job. */
async function removeWorkspaces(workDir: string): Promise<void> {
  await fs.mkdir(workDir, { recursive: true });
  for (const name of await fs.readdir(workDir)) await fs.rm(path.join(workDir, name), { recursive: true, force: true });
}

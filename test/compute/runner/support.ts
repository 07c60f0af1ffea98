import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import type { JobStore } from '../../../src/compute/jobs/store';
import { isTerminal, JobRecord, JobSpec, newJobId } from '../../../src/compute/jobs/record';
import { loadRunnerConfig } from '../../../src/compute/runner/config';
import { Runner } from '../../../src/compute/runner/runner';
import type { Core } from '../../../src/kernel/core';
import { createLogger } from '../../../src/kernel/logger';
import { startTestInstance, testPrefix, TestInstance } from '../../support/instance';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** API settings for compute tests: a fast watchdog, so lapsed claims are released promptly. */
export const COMPUTE_API_ENV = { BOURSE_JOB_WATCHDOG_MS: '200' };

/**
 * The API side of compute tests: a real API instance (the test also plays the operator, reading the job records
 * from its Redis), creating jobs as approval does and waiting on them through the job's own wake-ups.
 */
export class ComputeApi {
  private constructor(readonly api: TestInstance) {}

  static async start(
    options: { prefix?: string; env?: Record<string, string>; redisUrl?: string } = {},
  ): Promise<ComputeApi> {
    const env = { ...COMPUTE_API_ENV, ...options.env };
    return new ComputeApi(await startTestInstance({ prefix: options.prefix, env, redisUrl: options.redisUrl }));
  }

  get core(): Core {
    return this.api.instance.core;
  }
  get store(): JobStore {
    return this.api.instance.services.compute.store;
  }
  get keys(): Core['keys'] {
    return this.core.keys;
  }
  get waiter(): Core['waiter'] {
    return this.core.waiter;
  }
  get redis(): Core['redis'] {
    return this.core.redis;
  }
  get url(): string {
    return this.api.url;
  }

  /** Creates a job for `provider` and queues it for the provider's runners, as approval does. */
  async dispatch(
    provider: string,
    spec: Partial<JobSpec>,
    options: { validToMs?: number; owner?: string } = {},
  ): Promise<string> {
    const jobId = newJobId();
    await this.store.create({
      jobId,
      agreementId: `${jobId}${jobId}`,
      owner: options.owner ?? Wallet.createRandom().address,
      provider,
      validToMs: options.validToMs ?? Date.now() + 600_000,
      spec: {
        runtime: 'node',
        entrypoint: ['node', '$ALGO'],
        algorithm: '',
        inputs: [],
        maxDurationSeconds: 30,
        ...spec,
      },
    });
    return jobId;
  }

  /** Resolves with the job once `until` holds (woken by the job's own writes, not by polling a clock). */
  async waitFor(jobId: string, until: (job: JobRecord) => boolean, timeoutMs = 20_000): Promise<JobRecord> {
    let last: JobRecord | undefined;
    const found = await this.waiter.poll([this.keys.job(jobId)], timeoutMs, undefined, async () => {
      last = await this.store.get(jobId);
      return last && until(last) ? last : undefined;
    });
    if (!found)
      throw new Error(
        `job ${jobId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    return found;
  }

  waitForEnd(jobId: string, timeoutMs?: number): Promise<JobRecord> {
    return this.waitFor(jobId, (job) => isTerminal(job.status), timeoutMs);
  }

  /** Waits until the job's live log contains `text`. */
  async waitForLog(jobId: string, text: string, timeoutMs = 15_000): Promise<void> {
    const found = await this.waiter.poll([this.keys.jobLog(jobId)], timeoutMs, undefined, async () =>
      (await this.store.readLog(jobId)).tail.toString().includes(text) ? true : undefined,
    );
    if (!found) throw new Error(`job ${jobId}'s log did not show "${text}" in ${timeoutMs} ms`);
  }

  async readResult(jobId: string, index: number): Promise<{ bytes: Buffer } | undefined> {
    const job = await this.store.get(jobId);
    return job && this.store.readResult(job, index);
  }

  async delete(jobId: string): Promise<boolean> {
    const job = await this.store.get(jobId);
    return job ? this.store.delete(job) : false;
  }

  close(): Promise<void> {
    return this.api.close();
  }
}

export interface RunnerOptions {
  env?: Record<string, string>;
  privateKey?: string;
}

/** Runner environment for tests: no Redis at all, only the API URL(s) and a key; fast stall detection. */
export function runnerEnv(apiUrl: string, workDir: string, privateKey: string, env: Record<string, string> = {}) {
  return {
    BOURSE_API_URL: apiUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BOURSE_RUNNER_PRIVATE_KEY: privateKey,
    BOURSE_RUNNER_WORK_DIR: workDir,
    BOURSE_RUNNER_STALL_INTERVAL_MS: '3000',
    BOURSE_RUNNER_HEARTBEAT_MS: '500',
    BOURSE_RUNNER_MEMORY: '256mb',
    BOURSE_RUNNER_OVERHEAD_MS: '10000',
    ...env,
  };
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bourse-${label}-`));
}

/** Starts a runner in this process (the same code `bourse runner` runs), talking to `apiUrl` over HTTP. */
export async function startRunner(apiUrl: string, options: RunnerOptions = {}): Promise<Runner> {
  const privateKey = options.privateKey ?? Wallet.createRandom().privateKey;
  const env = runnerEnv(apiUrl, tempDir('work'), privateKey, options.env);
  return Runner.start(loadRunnerConfig(env, { dataDir: tempDir('data'), defaultApiUrl: apiUrl }), log);
}

export { testPrefix };

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').includes(marker))
        found.push(Number(name));
    } catch {
      // exited
    }
  }
  return found;
}

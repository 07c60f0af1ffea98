import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { loadConfig } from '../../../src/kernel/config';
import { Waiter } from '../../../src/events/waiter';
import { createLogger } from '../../../src/kernel/logger';
import { JobRecord, JobSpec, JobStore, newJobId } from '../../../src/compute/jobs';
import { closeJobQueues, enqueueJob } from '../../../src/compute/queue';
import { loadRunnerConfig } from '../../../src/compute/runnerConfig';
import { Runner } from '../../../src/compute/worker';
import { isTerminal } from '../../../src/compute/statuses';
import { Keys } from '../../../src/store/keys';
import { openRedis } from '../../../src/store/redis';
import { Scripts } from '../../../src/store/scripts';
import { testPrefix, testRedisUrl } from '../../support/instance';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** The side of the market that creates and dispatches jobs (what the API does on approval), on its own connections. */
export class Dispatcher {
  readonly store: JobStore;

  private constructor(
    readonly keys: Keys,
    readonly redis: import('ioredis').default,
    private readonly subscriber: import('ioredis').default,
    readonly waiter: Waiter,
    readonly scripts: Scripts,
  ) {
    this.store = new JobStore({ redis, keys, scripts });
  }

  static async open(prefix: string): Promise<Dispatcher> {
    const keys = new Keys(prefix);
    const redis = await openRedis(testRedisUrl(), 'test-dispatch', log);
    const subscriber = await openRedis(testRedisUrl(), 'test-dispatch-sub', log);
    const scripts = new Scripts(redis);
    await scripts.load();
    return new Dispatcher(keys, redis, subscriber, new Waiter(subscriber, keys), scripts);
  }

  /** Creates a job for `provider` and puts it on the provider's queue, as approval does. */
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
    await enqueueJob(this, provider, jobId);
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

  async close(): Promise<void> {
    this.waiter.shutdown();
    await closeJobQueues(this.redis);
    this.subscriber.disconnect();
    await this.redis.quit();
  }
}

export interface EngineOptions {
  prefix?: string;
  env?: Record<string, string>;
  privateKey?: string;
}

/** Runner environment for tests: fast stall detection and watchdog, a private work dir. */
export function runnerEnv(
  prefix: string,
  workDir: string,
  privateKey: string,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: testRedisUrl(),
    BOURSE_KEY_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BOURSE_RUNNER_PRIVATE_KEY: privateKey,
    BOURSE_RUNNER_WORK_DIR: workDir,
    BOURSE_RUNNER_STALL_INTERVAL_MS: '3000',
    BOURSE_RUNNER_WATCHDOG_MS: '300',
    BOURSE_RUNNER_HEARTBEAT_MS: '500',
    BOURSE_RUNNER_MEMORY: '256mb',
    BOURSE_RUNNER_OVERHEAD_MS: '10000',
    ...env,
  };
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bourse-${label}-`));
}

/** Starts a runner in this process (the same code `bourse runner` runs). */
export async function startRunner(prefix: string, options: EngineOptions = {}): Promise<Runner> {
  const privateKey = options.privateKey ?? Wallet.createRandom().privateKey;
  const env = runnerEnv(prefix, tempDir('work'), privateKey, options.env);
  const config = loadConfig(env);
  return Runner.start({
    config,
    redisUrl: testRedisUrl(),
    log,
    runner: loadRunnerConfig(env, { dataDir: tempDir('data') }),
  });
}

export { testPrefix };

/**
 * Compute engine benchmark: sandbox cost (bwrap / no sandbox, same trivial job, same executor) and completed
 * trivial jobs per second through the whole engine (JobStore → BullMQ → runner → 70) at runner concurrency 1 and 2.
 * Uses REDIS_URL when set, else an embedded redis-server. The API half adds dispatch latency (approval → 40)
 * next to these numbers via `runEngineBench()`'s shared setup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { loadConfig } from '../src/kernel/config';
import { Waiter } from '../src/events/waiter';
import { createLogger } from '../src/kernel/logger';
import { ProcessExecutor } from '../src/compute/executor/process';
import { createSandbox } from '../src/compute/executor/sandbox';
import { Workspace } from '../src/compute/executor/workspace';
import { firstJobId, JobStore, newJobId } from '../src/compute/jobs';
import { jobProperties } from '../src/compute/workload';
import { ApiInstance } from '../src/main/api';
import { closeJobQueues, enqueueJob } from '../src/compute/queue';
import { loadRunnerConfig, SandboxKind } from '../src/compute/runnerConfig';
import { isTerminal } from '../src/compute/statuses';
import { Runner } from '../src/compute/worker';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import { Keys } from '../src/store/keys';
import { openRedis } from '../src/store/redis';
import { Scripts } from '../src/store/scripts';
import { nowMs, percentile, table } from './support';

const log = createLogger('silent');
const TRIVIAL_SH = 'echo ok > "$OUTPUTS/out.txt"';

function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `bourse-bench-${label}-`));
}

/** Median wall time (ms) of one trivial `sh` run through the process executor with the given sandbox. */
async function executorRunMs(kind: SandboxKind, runs: number): Promise<number[]> {
  const executor = new ProcessExecutor(createSandbox(kind, []));
  const root = tempDir('exec');
  if (executor.sandbox.workspaceOwner) fs.chmodSync(root, 0o711);
  const samples: number[] = [];
  const sh = '/bin/sh';
  for (let i = 0; i < runs; i++) {
    const workspace = new Workspace(root, `job${i}`);
    await workspace.prepare(executor.sandbox.workspaceOwner);
    fs.writeFileSync(workspace.algorithmFile, TRIVIAL_SH);
    const dataRoot = executor.sandbox.dataRoot(workspace);
    const started = nowMs();
    const outcome = await executor.run({
      workspace,
      argv: [fs.realpathSync(sh), path.posix.join(dataRoot, 'transformations', 'algorithm')],
      env: { PATH: '/usr/bin:/bin', OUTPUTS: path.posix.join(dataRoot, 'outputs') },
      limits: {
        memoryBytes: 256 * 1024 ** 2,
        cpuSeconds: 10,
        wallClockMs: 10_000,
        diskBytes: 1024 ** 3,
        maxLogBytes: 1024 ** 2,
      },
      signal: new AbortController().signal,
      onLog: () => undefined,
    });
    samples.push(nowMs() - started);
    if (outcome.exitCode !== 0) throw new Error(`trivial job failed under ${kind}: ${JSON.stringify(outcome)}`);
    await workspace.remove();
  }
  fs.rmSync(root, { recursive: true, force: true });
  return samples;
}

/** Jobs/s of `jobs` trivial jobs dispatched at once to one runner with `concurrency`. */
async function engineJobsPerSecond(redisUrl: string, concurrency: number, jobs: number): Promise<number> {
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const privateKey = Wallet.createRandom().privateKey;
  const env = {
    BOURSE_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    BOURSE_RUNNER_PRIVATE_KEY: privateKey,
    BOURSE_RUNNER_WORK_DIR: tempDir('work'),
    BOURSE_RUNNER_CONCURRENCY: String(concurrency),
  };
  const runner = await Runner.start({
    config: loadConfig(env),
    redisUrl,
    log,
    runner: loadRunnerConfig(env, { dataDir: tempDir('data') }),
  });
  const keys = new Keys(prefix);
  const redis = await openRedis(redisUrl, 'bench', log);
  const subscriber = await openRedis(redisUrl, 'bench-sub', log);
  const scripts = new Scripts(redis);
  await scripts.load();
  const waiter = new Waiter(subscriber, keys);
  const store = new JobStore({ redis, keys, scripts });
  try {
    const ids = Array.from({ length: jobs }, () => newJobId());
    const started = nowMs();
    for (const jobId of ids) {
      await store.create({
        jobId,
        agreementId: jobId + jobId,
        owner: runner.config.provider,
        provider: runner.config.provider,
        validToMs: Date.now() + 600_000,
        spec: { runtime: 'sh', entrypoint: ['sh', '$ALGO'], algorithm: TRIVIAL_SH, inputs: [], maxDurationSeconds: 30 },
      });
      await enqueueJob({ redis, keys }, runner.config.provider, jobId);
    }
    for (const jobId of ids) {
      const done = await waiter.poll([keys.job(jobId)], 60_000, undefined, async () => {
        const job = await store.get(jobId);
        return job && isTerminal(job.status) ? job : undefined;
      });
      if (done?.status !== 70) throw new Error(`bench job ${jobId} ended at ${done?.status}: ${done?.reason}`);
    }
    return jobs / ((nowMs() - started) / 1000);
  } finally {
    await runner.stop();
    waiter.shutdown();
    await closeJobQueues(redis);
    subscriber.disconnect();
    await redis.quit();
  }
}

/**
 * Dispatch latency (the API half): from an agreement's approval (the approvals-stream entry the approve Lua
 * writes) to its job reaching status 40 on a runner, through the API's dispatcher (consumer group → JobStore →
 * BullMQ). Baseline in the same run: a job created and enqueued directly (no dispatcher) → 40.
 */
async function dispatchLatency(redisUrl: string, samples: number): Promise<{ approval: number[]; direct: number[] }> {
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const env = {
    BOURSE_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    BOURSE_AUTH_SECRET: randomBytes(32).toString('hex'),
    BOURSE_RUNNER_PRIVATE_KEY: Wallet.createRandom().privateKey,
    BOURSE_RUNNER_WORK_DIR: tempDir('work'),
  };
  const config = loadConfig(env);
  const runner = await Runner.start({
    config,
    redisUrl,
    log,
    runner: loadRunnerConfig(env, { dataDir: tempDir('data') }),
  });
  const api = await ApiInstance.create({ config, redisUrl, log });
  const { core } = api;
  const store = new JobStore(core);
  const provider = runner.config.provider;
  const spec = {
    runtime: 'sh',
    entrypoint: ['sh', '$ALGO'],
    algorithm: TRIVIAL_SH,
    inputs: [],
    maxDurationSeconds: 30,
  };
  const reached = async (jobId: string, done: (status: number) => boolean): Promise<number> => {
    const at = await core.waiter.poll([core.keys.job(jobId)], 30_000, undefined, async () =>
      done((await store.get(jobId))?.status ?? 0) ? nowMs() : undefined,
    );
    if (at === undefined) throw new Error(`job ${jobId} did not progress`);
    return at;
  };
  // Time to 40, then let the job finish so the next sample finds the runner idle.
  const running = async (jobId: string, since: number): Promise<number> => {
    const at = (await reached(jobId, (status) => status >= 40)) - since;
    await reached(jobId, isTerminal);
    return at;
  };
  const result = { approval: [] as number[], direct: [] as number[] };
  try {
    // The first round warms connections and the provider's queue; it is not counted.
    for (let i = -1; i < samples; i++) {
      const hex = randomBytes(32).toString('hex');
      await core.redis.hset(core.keys.agreement(hex), {
        id: hex,
        requestorId: provider,
        providerId: provider,
        state: 'Approved',
        validToMs: String(Date.now() + 600_000),
        demandProperties: JSON.stringify(jobProperties(spec)),
        offerProperties: '{}',
      });
      const approved = nowMs();
      await core.redis.xadd(core.keys.approvedAgreements(), '*', 'agreementId', hex);
      const viaApproval = await running(firstJobId(hex), approved);

      const jobId = newJobId();
      const created = nowMs();
      await store.create({
        jobId,
        agreementId: jobId + jobId,
        owner: provider,
        provider,
        validToMs: Date.now() + 600_000,
        spec,
      });
      await enqueueJob(core, provider, jobId);
      const direct = await running(jobId, created);
      if (i >= 0) {
        result.approval.push(viaApproval);
        result.direct.push(direct);
      }
    }
    return result;
  } finally {
    await api.close();
    await runner.stop();
  }
}

/** Shared setup for engine benchmarks: a Redis URL (REDIS_URL or an embedded server) and its teardown. */
export async function benchRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const embedded = await EmbeddedRedis.start();
  return { url: embedded.url, stop: () => embedded.stop() };
}

export async function run(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 30);
  const jobs = Number(process.env.BENCH_JOBS ?? 40);
  // Warm both paths once (page cache, binaries) before measuring.
  await executorRunMs('none', 3);
  await executorRunMs('bwrap', 3);
  const bare = await executorRunMs('none', runs);
  const boxed = await executorRunMs('bwrap', runs);
  const p50 = (s: number[]): number => percentile(s, 50);
  table([
    {
      executor: 'no sandbox (baseline)',
      runs,
      'p50 ms': p50(bare).toFixed(1),
      'p99 ms': percentile(bare, 99).toFixed(1),
      ratio: '1.00',
    },
    {
      executor: 'bwrap sandbox',
      runs,
      'p50 ms': p50(boxed).toFixed(1),
      'p99 ms': percentile(boxed, 99).toFixed(1),
      ratio: (p50(boxed) / p50(bare)).toFixed(2),
    },
  ]);

  const redis = await benchRedis();
  try {
    const one = await engineJobsPerSecond(redis.url, 1, jobs);
    const two = await engineJobsPerSecond(redis.url, 2, jobs);
    table([
      { runner: 'concurrency 1 (baseline)', jobs, 'jobs/s': one.toFixed(2), ratio: '1.00' },
      { runner: 'concurrency 2', jobs, 'jobs/s': two.toFixed(2), ratio: (two / one).toFixed(2) },
    ]);
    const latency = await dispatchLatency(redis.url, runs);
    const row = (path: string, s: number[], base: number[]) => ({
      path,
      samples: s.length,
      'p50 ms': p50(s).toFixed(1),
      'p99 ms': percentile(s, 99).toFixed(1),
      'p50 ratio': (p50(s) / p50(base)).toFixed(2),
    });
    table([
      row('enqueue → 40 (baseline)', latency.direct, latency.direct),
      row('approval → 40 (dispatch)', latency.approval, latency.direct),
    ]);
  } finally {
    await redis.stop();
  }
}

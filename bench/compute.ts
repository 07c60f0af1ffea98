/**
 * Compute engine benchmark: sandbox cost (bwrap / no sandbox, same trivial job, same executor) and completed
 * trivial jobs per second through the whole engine (job store → provider queue → runner over HTTP → 70) at runner
 * concurrency 1 and 2.
 * Uses REDIS_URL when set, else an embedded redis-server. The API half adds dispatch latency (approval → 40)
 * next to these numbers via `runEngineBench()`'s shared setup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { loadConfig } from '../src/kernel/config';
import { createLogger } from '../src/kernel/logger';
import { firstJobId, isTerminal, newJobId } from '../src/compute/jobs/record';
import { loadRunnerConfig, SandboxKind } from '../src/compute/runner/config';
import { ProcessExecutor } from '../src/compute/runner/executor/process';
import { createSandbox } from '../src/compute/runner/executor/sandbox';
import { Workspace } from '../src/compute/runner/executor/workspace';
import { Runner } from '../src/compute/runner/runner';
import { jobProperties } from '../src/compute/workload';
import { ApiInstance } from '../src/main/api';
import { HANDOFF_FIELDS, HANDOFF_VERSION } from '../src/market/agreements/handoff';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import { type Figures, latencyRow, nowMs, percentile, round, table } from './support';

const log = createLogger('silent');
export const TRIVIAL_SH = 'echo ok > "$OUTPUTS/out.txt"';

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

const TRIVIAL_SPEC = {
  runtime: 'sh',
  entrypoint: ['sh', '$ALGO'],
  algorithm: TRIVIAL_SH,
  inputs: [],
  maxDurationSeconds: 30,
};

/** An API instance on `redisUrl` (listening on loopback) and a runner speaking to it over HTTP. */
export async function apiWithRunner(redisUrl: string, runnerEnv: Record<string, string> = {}) {
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const env = {
    BOURSE_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    BOURSE_AUTH_SECRET: randomBytes(32).toString('hex'),
    BOURSE_RUNNER_PRIVATE_KEY: Wallet.createRandom().privateKey,
    BOURSE_RUNNER_WORK_DIR: tempDir('work'),
    ...runnerEnv,
  };
  const config = loadConfig(env);
  const api = await ApiInstance.create({ config, redisUrl, log });
  const url = await api.listen(0, '127.0.0.1');
  const runner = await Runner.start(
    loadRunnerConfig({ ...env, BOURSE_API_URL: url }, { dataDir: tempDir('data'), defaultApiUrl: url }),
    log,
  );
  const { core } = api;
  const store = api.services.compute.store;
  const reached = async (jobId: string, done: (status: number) => boolean): Promise<number> => {
    const at = await core.waiter.poll([core.keys.job(jobId)], 60_000, undefined, async () =>
      done((await store.get(jobId))?.status ?? 0) ? nowMs() : undefined,
    );
    if (at === undefined) throw new Error(`job ${jobId} did not progress`);
    return at;
  };
  const close = async (): Promise<void> => {
    await runner.stop();
    await api.close();
  };
  const provider = runner.config.provider;
  /** Queues a trivial job for the runner, as the dispatcher would for an approved agreement. */
  const enqueueTrivial = async (jobId: string): Promise<void> => {
    const validToMs = Date.now() + 600_000;
    await store.create({ jobId, agreementId: jobId + jobId, owner: provider, provider, validToMs, spec: TRIVIAL_SPEC });
  };
  return { api, url, core, store, runner, provider, reached, enqueueTrivial, close };
}

/** Jobs/s of `jobs` trivial jobs queued at once for one runner with `concurrency` (API → HTTP → runner → 70). */
async function engineJobsPerSecond(redisUrl: string, concurrency: number, jobs: number): Promise<number> {
  const { store, enqueueTrivial, reached, close } = await apiWithRunner(redisUrl, {
    BOURSE_RUNNER_CONCURRENCY: String(concurrency),
  });
  try {
    const ids = Array.from({ length: jobs }, () => newJobId());
    const started = nowMs();
    for (const jobId of ids) await enqueueTrivial(jobId);
    for (const jobId of ids) {
      await reached(jobId, isTerminal);
      const done = await store.get(jobId);
      if (done?.status !== 70) throw new Error(`bench job ${jobId} ended at ${done?.status}: ${done?.reason}`);
    }
    return jobs / ((nowMs() - started) / 1000);
  } finally {
    await close();
  }
}

/**
 * Dispatch latency (the API half): from an agreement's approval (the hand-off entry the approve transition appends
 * to the approvals stream) to its job reaching status 40 on a runner, through the API's dispatcher (consumer group
 * → job store → provider queue → the runner's claim long-poll). Baseline in the same run: a job created directly
 * (no dispatcher) → 40.
 */
async function dispatchLatency(redisUrl: string, samples: number): Promise<{ approval: number[]; direct: number[] }> {
  const { core, provider, enqueueTrivial, reached, close } = await apiWithRunner(redisUrl);
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
      const entry: Record<(typeof HANDOFF_FIELDS)[number], string> = {
        v: HANDOFF_VERSION,
        agreementId: hex,
        requestorId: provider,
        providerId: provider,
        validToMs: String(Date.now() + 600_000),
        approvedAtMs: String(Date.now()),
        demandProperties: JSON.stringify(jobProperties(TRIVIAL_SPEC)),
        offerProperties: '{}',
      };
      const approved = nowMs();
      await core.redis.xadd(core.keys.approvedAgreements(), '*', ...HANDOFF_FIELDS.flatMap((f) => [f, entry[f]]));
      const viaApproval = await running(firstJobId(hex), approved);

      const jobId = newJobId();
      const created = nowMs();
      await enqueueTrivial(jobId);
      const direct = await running(jobId, created);
      if (i >= 0) {
        result.approval.push(viaApproval);
        result.direct.push(direct);
      }
    }
    return result;
  } finally {
    await close();
  }
}

/** Shared setup for engine benchmarks: a Redis URL (REDIS_URL or an embedded server) and its teardown. */
export async function benchRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const embedded = await EmbeddedRedis.start();
  return { url: embedded.url, stop: () => embedded.stop() };
}

export async function run(): Promise<Figures> {
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
    table([
      latencyRow('create → 40 (baseline)', latency.direct, latency.direct),
      latencyRow('approval → 40 (dispatch)', latency.approval, latency.direct),
    ]);
    return {
      bareP50Ms: round(p50(bare)),
      sandboxVsBare: round(p50(boxed) / p50(bare)),
      jobsPerSecondConcurrency1: round(one),
      concurrency2VsConcurrency1: round(two / one),
      directP50Ms: round(p50(latency.direct)),
      dispatchVsDirect: round(p50(latency.approval) / p50(latency.direct)),
    };
  } finally {
    await redis.stop();
  }
}

/**
 * Invoke face benchmark: invocations accepted per second (free service, trivial algorithm, POST /api/invoke/v1/{id}
 * with 8 in flight) and invoke → Completed latency (p50/p99), next to the compute engine's baseline measured in the
 * same run on the same runner: a job created directly in the job store → status 40.
 * `npm run bench -- invoke [--json]`; BENCH_RUNS samples (default 30), BENCH_INVOCATIONS (default 200).
 * Uses REDIS_URL when set, else an embedded redis-server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { TokenService } from '../src/auth/tokens';
import { isTerminal, newJobId } from '../src/compute/jobs/record';
import { loadRunnerConfig } from '../src/compute/runner/config';
import { Runner } from '../src/compute/runner/runner';
import { loadConfig } from '../src/kernel/config';
import { createLogger } from '../src/kernel/logger';
import { ApiInstance } from '../src/main/api';
import { benchRedis } from './compute';
import { nowMs, percentile, table } from './support';

const log = createLogger('silent');
const TRIVIAL_SH = 'echo 1 > "$OUTPUTS/out"';
const IN_FLIGHT = 8;

const tempDir = (label: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `bourse-bench-${label}-`));

async function setUp(redisUrl: string) {
  const providerKey = Wallet.createRandom().privateKey;
  const env = {
    BOURSE_KEY_PREFIX: `bench:${randomBytes(4).toString('hex')}:`,
    LOG_LEVEL: 'silent',
    BOURSE_AUTH_SECRET: randomBytes(32).toString('hex'),
    BOURSE_RUNNER_PRIVATE_KEY: providerKey,
    BOURSE_RUNNER_WORK_DIR: tempDir('work'),
  };
  const api = await ApiInstance.create({ config: loadConfig(env), redisUrl, log });
  const url = await api.listen(0, '127.0.0.1');
  const runner = await Runner.start(
    loadRunnerConfig({ ...env, BOURSE_API_URL: url }, { dataDir: tempDir('data'), defaultApiUrl: url }),
    log,
  );
  const { core } = api;
  const tokens = new TokenService(core);
  const provider = runner.config.provider;
  const consumer = Wallet.createRandom().address.toLowerCase();
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const [providerToken, consumerToken] = await Promise.all([
    tokens.issue(provider, expires),
    tokens.issue(consumer, expires),
  ]);
  const post = async (pathname: string, token: string, body: unknown): Promise<Record<string, string>> => {
    const res = await fetch(`${url}/api/invoke/v1${pathname}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${pathname} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Record<string, string>;
  };
  const { serviceId } = await post('/services', providerToken, {
    servicedescription: { name: 'trivial' },
    inputs: [{ argname: 'x', type: 'number', mandatory: true }],
    outputs: [],
    free: true,
    job: { runtime: 'sh', algorithm: TRIVIAL_SH, maxDuration: 30 },
  });
  const invoke = async (): Promise<string> => (await post(`/${serviceId}`, consumerToken, { inputs: { x: 1 } })).jobId;
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
  return { store, provider, invoke, reached, close };
}

export async function run(): Promise<void> {
  const json = process.argv.includes('--json');
  const runs = Number(process.env.BENCH_RUNS ?? 30);
  const invocations = Number(process.env.BENCH_INVOCATIONS ?? 200);
  const redis = await benchRedis();
  const { store, provider, invoke, reached, close } = await setUp(redis.url);
  const direct: number[] = [];
  const invoked: number[] = [];
  try {
    // The first round warms connections, the runner and the queue; it is not counted.
    for (let i = -1; i < runs; i++) {
      const jobId = newJobId();
      const created = nowMs();
      const spec = {
        runtime: 'sh',
        entrypoint: ['sh', '$ALGO'],
        algorithm: TRIVIAL_SH,
        inputs: [],
        maxDurationSeconds: 30,
      };
      await store.create({
        jobId,
        agreementId: jobId + jobId,
        owner: provider,
        provider,
        validToMs: Date.now() + 600_000,
        spec,
      });
      const at40 = (await reached(jobId, (s) => s >= 40)) - created;
      await reached(jobId, isTerminal);
      const started = nowMs();
      const invocation = await invoke();
      const completed = (await reached(invocation, isTerminal)) - started;
      const job = await store.get(invocation);
      if (job?.status !== 70) throw new Error(`invocation ${invocation} ended at ${job?.status}: ${job?.reason}`);
      if (i >= 0) {
        direct.push(at40);
        invoked.push(completed);
      }
    }
    let next = 0;
    const started = nowMs();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < invocations) await invoke();
      }),
    );
    const perSecond = invocations / ((nowMs() - started) / 1000);
    const p = (s: number[], q: number) => Number(percentile(s, q).toFixed(1));
    const result = {
      invocationsPerSecond: Number(perSecond.toFixed(1)),
      invocations,
      samples: runs,
      baselineEnqueueTo40: { p50: p(direct, 50), p99: p(direct, 99) },
      invokeToCompleted: { p50: p(invoked, 50), p99: p(invoked, 99) },
      p50Ratio: Number((percentile(invoked, 50) / percentile(direct, 50)).toFixed(2)),
    };
    if (json) {
      console.log(JSON.stringify(result));
      return;
    }
    table([
      {
        'free trivial service': 'invocations accepted',
        'in flight': IN_FLIGHT,
        invocations,
        'per s': result.invocationsPerSecond,
      },
    ]);
    table([
      {
        path: 'compute: enqueue → 40 (baseline)',
        samples: runs,
        'p50 ms': result.baselineEnqueueTo40.p50,
        'p99 ms': result.baselineEnqueueTo40.p99,
        ratio: '1.00',
      },
      {
        path: 'invoke → Completed',
        samples: runs,
        'p50 ms': result.invokeToCompleted.p50,
        'p99 ms': result.invokeToCompleted.p99,
        ratio: result.p50Ratio.toFixed(2),
      },
    ]);
  } finally {
    await close();
    await redis.stop();
  }
}

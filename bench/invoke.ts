/**
 * Invoke face benchmark: invocations accepted per second (free service, trivial algorithm, POST /api/invoke/v1/{id}
 * with 8 in flight) and invoke → Completed latency (p50/p99), next to the compute engine's baseline measured in the
 * same run on the same runner: a job created directly in the job store → status 40.
 * `npm run bench -- invoke [--json]`; BENCH_RUNS samples (default 30), BENCH_INVOCATIONS (default 200).
 * Uses REDIS_URL when set, else an embedded redis-server.
 */
import { Wallet } from 'ethers';
import { TokenService } from '../src/auth/tokens';
import { isTerminal, newJobId } from '../src/compute/jobs/record';
import { apiWithRunner, benchRedis, TRIVIAL_SH } from './compute';
import { type Figures, nowMs, percentile, table } from './support';

const IN_FLIGHT = 8;

/** The compute bench's API + runner, plus a free trivial invoke service and tokens for its provider and a consumer. */
async function setUp(redisUrl: string) {
  const { url, core, store, provider, reached, enqueueTrivial, close } = await apiWithRunner(redisUrl);
  const tokens = new TokenService(core);
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
  return { store, enqueueTrivial, invoke, reached, close };
}

export async function run(): Promise<Figures> {
  const runs = Number(process.env.BENCH_RUNS ?? 30);
  const invocations = Number(process.env.BENCH_INVOCATIONS ?? 200);
  const redis = await benchRedis();
  const { store, enqueueTrivial, invoke, reached, close } = await setUp(redis.url);
  const direct: number[] = [];
  const invoked: number[] = [];
  try {
    // The first round warms connections, the runner and the queue; it is not counted.
    for (let i = -1; i < runs; i++) {
      const jobId = newJobId();
      const created = nowMs();
      await enqueueTrivial(jobId);
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
    return result;
  } finally {
    await close();
    await redis.stop();
  }
}

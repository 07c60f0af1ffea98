/**
 * Activity API latency, as a golem-js rental sees it over HTTP against one API instance and one runner:
 * - createActivity → Ready: POST /activity, then the `deploy` + `start` batch (what golem-js's getExeUnit sends), until
 *   its results are in (a long-poll on the batch);
 * - exec → first stdout line: POST /exec of `sh -c "echo first; …"` until the first `stdout` runtime event arrives on
 *   the batch's `text/event-stream` (golem-js's runAndStream path).
 * Baseline in the same run, on the same runner: a trivial job's enqueue → running (status 40), the job model's
 * equivalent of "the runner picked the work up". Uses REDIS_URL when set, else an embedded redis-server.
 */
import { Wallet } from 'ethers';
import { TokenService } from '../src/auth/tokens';
import { isTerminal, newJobId } from '../src/compute/jobs/record';
import { apiWithRunner, benchRedis } from './compute';
import { type Figures, latencyRow, nowMs, percentile, round, table } from './support';

const STREAMED = [{ run: { entry_point: '/bin/sh', args: ['-c', 'echo first; echo second'] } }];
const DEPLOY_START = [{ deploy: {} }, { start: {} }];

type Setup = Awaited<ReturnType<typeof apiWithRunner>>;

/** HTTP calls of the Activity API as one requestor. */
function activityApi(base: string, token: string) {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}/activity-api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    create: async (agreementId: string) =>
      ((await call('POST', '/activity', { agreementId })) as { activityId: string }).activityId,
    exec: async (id: string, script: unknown[]) =>
      (await call('POST', `/activity/${id}/exec`, { text: JSON.stringify(script) })) as string,
    results: async (id: string, batchId: string) =>
      (await call('GET', `/activity/${id}/exec/${batchId}?timeout=30`)) as Array<{ result: string }>,
    destroy: (id: string) => call('DELETE', `/activity/${id}`),
    /** Reads the batch's event stream; resolves to when (nowMs) the first stdout event arrived, once it ended. */
    firstStdout: async (id: string, batchId: string): Promise<number> => {
      const res = await fetch(`${base}/activity-api/v1/activity/${id}/exec/${batchId}`, {
        headers: { ...headers, Accept: 'text/event-stream' },
      });
      if (!res.ok || !res.body) throw new Error(`stream: ${res.status}`);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let first: number | undefined;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (first === undefined && text.includes('"stdout"')) first = nowMs();
        if (text.includes('"finished"')) break;
      }
      await reader.cancel();
      if (first === undefined) throw new Error(`no stdout streamed: ${text}`);
      return first;
    },
  };
}

/** One rental: createActivity → Ready, then exec → first streamed stdout line; the activity is destroyed after. */
async function rentalSample(setup: Setup, requestor: string, api: ReturnType<typeof activityApi>) {
  const agreementId = await setup.api.services.agreements.recordFreeInvocation({
    requestor,
    provider: setup.provider,
    serviceId: 'bench',
    validToMs: Date.now() + 600_000,
  });
  const created = nowMs();
  const id = await api.create(agreementId);
  const ready = await api.results(id, await api.exec(id, DEPLOY_START));
  if (ready.length !== 2 || ready.some((r) => r.result !== 'Ok'))
    throw new Error(`deploy/start: ${JSON.stringify(ready)}`);
  const readyMs = nowMs() - created;
  const executed = nowMs();
  const batchId = await api.exec(id, STREAMED);
  const firstLineMs = (await api.firstStdout(id, batchId)) - executed;
  await api.destroy(id);
  return { readyMs, firstLineMs };
}

/** A trivial job's enqueue → running (40), then its end (so the next sample finds the runner as idle). */
async function jobSample(setup: Setup): Promise<number> {
  const jobId = newJobId();
  const enqueued = nowMs();
  await setup.enqueueTrivial(jobId);
  const running = (await setup.reached(jobId, (status) => status >= 40)) - enqueued;
  await setup.reached(jobId, isTerminal);
  return running;
}

export async function run(): Promise<Figures> {
  const samples = Number(process.env.BENCH_RUNS ?? 30);
  const redis = await benchRedis();
  // Two slots, so that an activity the runner is still tearing down never delays the next job sample.
  const setup = await apiWithRunner(redis.url, { BOURSE_RUNNER_CONCURRENCY: '2' });
  try {
    const requestor = Wallet.createRandom().address.toLowerCase();
    const token = await new TokenService(setup.core).issue(requestor, Math.floor(Date.now() / 1000) + 3600);
    const api = activityApi(setup.api.url, token);
    const ready: number[] = [];
    const firstLine: number[] = [];
    const job: number[] = [];
    // The first round warms connections, queues and the sandbox; it is not counted.
    for (let i = -1; i < samples; i++) {
      const jobMs = await jobSample(setup);
      const rental = await rentalSample(setup, requestor, api);
      if (i < 0) continue;
      job.push(jobMs);
      ready.push(rental.readyMs);
      firstLine.push(rental.firstLineMs);
    }
    const p50 = (s: number[]): number => percentile(s, 50);
    table([
      latencyRow('job enqueue → running (baseline)', job, job),
      latencyRow('createActivity → Ready', ready, job),
      latencyRow('exec → first stdout line', firstLine, job),
    ]);
    return {
      samples,
      jobEnqueueToRunningP50Ms: round(p50(job)),
      jobEnqueueToRunningP99Ms: round(percentile(job, 99)),
      createToReadyP50Ms: round(p50(ready)),
      createToReadyP99Ms: round(percentile(ready, 99)),
      execToFirstStdoutP50Ms: round(p50(firstLine)),
      execToFirstStdoutP99Ms: round(percentile(firstLine, 99)),
      createToReadyVsJob: round(p50(ready) / p50(job)),
      execToFirstStdoutVsJob: round(p50(firstLine) / p50(job)),
    };
  } finally {
    await setup.close();
    await redis.stop();
  }
}

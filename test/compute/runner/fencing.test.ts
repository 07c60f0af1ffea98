import fs from 'node:fs';
import { Wallet } from 'ethers';
import type { Runner } from '../../../src/compute/runner/runner';
import { EmbeddedRedis } from '../../../src/store/embeddedRedis';
import { until } from '../../support/wait';
import { ComputeApi, startRunner, tempDir, processesWith } from './support';

const LEASE_MS = 2000;
const OUTAGE_MS = 5000;

/**
 * Redis goes away for longer than a job's lease while the job runs, with two runners of its provider: the holder,
 * unable to renew, kills its run before the lease ends; only then may the API hand the job on. At no moment does
 * the algorithm run twice.
 */
describe('fencing through a Redis outage longer than the lease', () => {
  let redis: EmbeddedRedis;
  let api: ComputeApi;
  const runners: Runner[] = [];

  afterAll(async () => {
    for (const runner of runners) await runner.stop();
    await api?.close();
    await redis?.stop();
  });

  it('never runs the job on two runners at once', async () => {
    redis = await EmbeddedRedis.start({ dataDir: tempDir('redis') });
    api = await ComputeApi.start({ redisUrl: redis.url });
    const privateKey = Wallet.createRandom().privateKey;
    const provider = new Wallet(privateKey).address.toLowerCase();
    const env = { BOURSE_RUNNER_STALL_INTERVAL_MS: String(LEASE_MS), BOURSE_RUNNER_HEARTBEAT_MS: '300' };
    for (const id of ['fenced-1', 'fenced-2'])
      runners.push(await startRunner(api.url, { privateKey, env: { ...env, BOURSE_RUNNER_ID: id } }));

    const marker = `${8000 + Math.floor(Math.random() * 1000)}.${Date.now() % 100000}`;
    const jobId = await api.dispatch(provider, {
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm: `echo started; sleep ${marker}`,
      maxDurationSeconds: 60,
    });
    await api.waitFor(jobId, (job) => job.status === 40);
    await api.waitForLog(jobId, 'started');
    const first = processesWith(`sleep ${marker}`);
    expect(first).toHaveLength(1);

    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, processesWith(`sleep ${marker}`).length)), 25);
    try {
      await redis.stop();
      const outageStarted = Date.now();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // the outage itself, not a wait for an event
      // The holder killed its run on its own, within the lease, although it could reach nobody.
      for (const pid of first) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
      expect(Date.now() - outageStarted).toBeGreaterThanOrEqual(OUTAGE_MS);
      await redis.start();
      await until(
        () =>
          fetch(`${api.url}/ready`).then(
            (r) => r.ok,
            () => false,
          ),
        'the API to be ready',
        20_000,
        50,
      );
      await until(() => api.core.subscriber.status === 'ready', 'the API to subscribe again', 20_000, 50);

      const end = await api.waitFor(
        jobId,
        (job) => job.status === 70 || job.status === 41 || (job.status === 40 && job.lost === 1),
        30_000,
      );
      if (end.status === 41) expect(end.reason).toMatch(/stopped heart-beating at status 40/);
      else expect(end.lost).toBe(1);
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBeLessThanOrEqual(1);
  });
});

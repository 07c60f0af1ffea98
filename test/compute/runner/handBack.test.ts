import fs from 'node:fs';
import { Wallet } from 'ethers';
import type { Runner } from '../../../src/compute/runner/runner';
import { ComputeApi, startRunner } from './support';

const LEASE_MS = 20_000;

/** A runner that stops (SIGTERM) kills its runs and hands their jobs back, so they resume elsewhere at once. */
describe('a runner stopping gracefully', () => {
  let api: ComputeApi;
  const runners: Runner[] = [];

  beforeAll(async () => {
    api = await ComputeApi.start();
  });
  afterAll(async () => {
    for (const runner of runners) await runner.stop();
    await api.close();
  });

  it('hands its job back: another runner resumes it without waiting for the lease to lapse', async () => {
    const privateKey = Wallet.createRandom().privateKey;
    const provider = new Wallet(privateKey).address.toLowerCase();
    const env = { BOURSE_RUNNER_STALL_INTERVAL_MS: String(LEASE_MS) };
    const first = await startRunner(api.url, { privateKey, env: { ...env, BOURSE_RUNNER_ID: 'leaving' } });
    const marker = `1.${Date.now() % 1000000}`;
    const jobId = await api.dispatch(provider, {
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm: `echo started; sleep ${marker}; echo done > "$OUTPUTS/out.txt"`,
    });
    await api.waitFor(jobId, (job) => job.status === 40);
    await api.waitForLog(jobId, 'started');
    const workDir = first.config.workDir;
    expect(fs.readdirSync(workDir)).toEqual([jobId]);

    await first.stop();
    expect(fs.readdirSync(workDir)).toEqual([]); // its workspace went with the run
    const handedBack = await api.store.get(jobId);
    expect(handedBack).toMatchObject({ status: 40, leaseUntilMs: undefined, lost: 0 });

    const stoppedAt = Date.now();
    runners.push(await startRunner(api.url, { privateKey, env: { ...env, BOURSE_RUNNER_ID: 'staying' } }));
    const done = await api.waitForEnd(jobId, 15_000);
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_MS);
    expect(done).toMatchObject({ status: 70, runnerId: 'staying', previousRunnerId: 'leaving', exitCode: 0 });
    expect((await api.store.readLog(jobId)).tail.toString()).toContain(
      'runner leaving was lost at status 40; runner staying redoes the job',
    );
  });
});

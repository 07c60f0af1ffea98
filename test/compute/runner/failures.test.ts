import fs from 'node:fs';
import net from 'node:net';
import { ComputeApi, startRunner, testPrefix, processesWith } from './support';
import type { Runner } from '../../../src/compute/runner/runner';
import { Wallet } from 'ethers';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('compute engine failure paths end in the right code with a reason', () => {
  const prefix = testPrefix();
  let dispatcher: ComputeApi;
  let runner: Runner;

  beforeAll(async () => {
    dispatcher = await ComputeApi.start({ prefix });
    runner = await startRunner(dispatcher.url, {
      env: { BOURSE_RUNNER_INPUT_HOSTS: '127.0.0.1', BOURSE_RUNNER_CONCURRENCY: '2' },
    });
  });
  afterAll(async () => {
    await runner.stop();
    await dispatcher.close();
  });

  it('an unreachable input ends at 31 (Data provisioning failed) with the reason', async () => {
    const port = await closedPort();
    const jobId = await dispatcher.dispatch(runner.config.provider, {
      algorithm: 'console.log(1)',
      inputs: [`http://127.0.0.1:${port}/data.csv`],
    });
    const job = await dispatcher.waitForEnd(jobId);
    expect(job.status).toBe(31);
    expect(job.statusText).toBe('Data provisioning failed');
    expect(job.reason).toMatch(
      new RegExp(`input http://127.0.0.1:${port}/data.csv could not be fetched: ECONNREFUSED`),
    );
    expect(job.results).toEqual([]);
  });

  it.each([
    ['a host outside the allow-list', 'http://example.com/x', /host example.com is not in this runner's allow-list/],
    ['a file: URL', 'file:///etc/passwd', /scheme file: is not allowed/],
  ])('an input from %s ends at 31', async (_label, url, reason) => {
    const jobId = await dispatcher.dispatch(runner.config.provider, { algorithm: 'console.log(1)', inputs: [url] });
    const job = await dispatcher.waitForEnd(jobId);
    expect(job.status).toBe(31);
    expect(job.reason).toMatch(reason);
  });

  it.each([
    ['command', { runtime: 'node', entrypoint: ['bash', '-c', 'id'] }, /command "bash" is not allowed by this runner/],
    ['runtime', { runtime: 'ruby', entrypoint: ['node', '$ALGO'] }, /runtime "ruby" is not allowed by this runner/],
  ])(
    'a disallowed %s ends at 32 (Algorithm provisioning failed) before anything runs',
    async (_label, spec, reason) => {
      const jobId = await dispatcher.dispatch(runner.config.provider, { ...spec, algorithm: 'console.log(1)' });
      const job = await dispatcher.waitForEnd(jobId);
      expect(job.status).toBe(32);
      expect(job.statusText).toBe('Algorithm provisioning failed');
      expect(job.reason).toMatch(reason);
      expect(job.step).toMatch(/^32@/);
    },
  );

  it('a non-zero exit finishes (Ocean: 70) with the exit code, the reason and the log kept', async () => {
    const jobId = await dispatcher.dispatch(runner.config.provider, {
      algorithm: 'console.error("bad input"); process.exit(3)',
    });
    const job = await dispatcher.waitForEnd(jobId);
    expect(job.status).toBe(70);
    expect(job.exitCode).toBe(3);
    expect(job.reason).toBe('the algorithm exited with code 3');
    expect((await dispatcher.readResult(jobId, 0))?.bytes.toString()).toBe('bad input\n');
  });

  it('a run past its wall-clock limit is killed; status, reason and logs are recorded', async () => {
    const started = Date.now();
    const jobId = await dispatcher.dispatch(runner.config.provider, {
      algorithm: 'console.log("working"); setInterval(() => {}, 1000)',
      maxDurationSeconds: 1,
    });
    const job = await dispatcher.waitForEnd(jobId);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(job.status).toBe(70);
    expect(job.reason).toBe('wall-clock limit of 1 s exceeded: the algorithm was killed');
    expect(job.exitCode).toBe(137);
    const log = (await dispatcher.readResult(jobId, 0))?.bytes.toString();
    expect(log).toContain('working\n');
    expect(log).toContain('[bourse] wall-clock limit reached: the algorithm was killed');
  });

  it('a run growing past the memory limit is killed with the reason', async () => {
    const algorithm = `
      const held = [];
      const grow = () => { held.push(Buffer.alloc(8 * 1024 * 1024, 1)); setTimeout(grow, 20); };
      grow();
    `;
    const jobId = await dispatcher.dispatch(runner.config.provider, { algorithm });
    const job = await dispatcher.waitForEnd(jobId);
    expect(job.status).toBe(70);
    expect(job.reason).toBe('memory limit of 256 MiB exceeded: the algorithm was killed');
    expect(job.exitCode).toBe(137);
  });

  it('a single allocation beyond the hard memory limit fails inside the algorithm', async () => {
    const jobId = await dispatcher.dispatch(runner.config.provider, {
      algorithm: 'Buffer.alloc(2 * 1024 * 1024 * 1024 - 1, 1); console.log("allocated")',
    });
    const job = await dispatcher.waitForEnd(jobId);
    expect(job.status).toBe(70);
    expect(job.exitCode).not.toBe(0);
    const log = (await dispatcher.readResult(jobId, 0))?.bytes.toString();
    expect(log).not.toContain('allocated');
    expect(log).toMatch(/allocation failed|out of memory|Invalid array length/i);
  });

  it('stop during the run kills the whole process tree, keeps the logs and records the stop', async () => {
    const marker = `${3000 + Math.floor(Math.random() * 5000)}.${Date.now() % 100000}`;
    const algorithm = `sleep ${marker} & sleep ${marker} & (sleep ${marker}; echo never) & echo started; wait`;
    const jobId = await dispatcher.dispatch(runner.config.provider, {
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm,
      maxDurationSeconds: 120,
    });
    // Wait until the algorithm has printed, i.e. its children exist.
    await dispatcher.waiter.poll([dispatcher.keys.jobLog(jobId)], 15_000, undefined, async () =>
      (await dispatcher.store.readLog(jobId)).tail.toString().includes('started') ? true : undefined,
    );
    const before = processesWith(`sleep ${marker}`);
    expect(before.length).toBeGreaterThanOrEqual(3);
    const stopped = Date.now();
    await dispatcher.store.requestStop(jobId);
    const job = await dispatcher.waitForEnd(jobId);
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(job.status).toBe(70);
    expect(job.stopRequested).toBe(true);
    expect(job.reason).toBe('stopped by request: the algorithm was killed');
    expect((await dispatcher.readResult(jobId, 0))?.bytes.toString()).toContain('started\n');
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    for (const pid of before) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('deleting a running job kills it and removes record, log and results', async () => {
    const marker = `${3000 + Math.floor(Math.random() * 5000)}.${Date.now() % 100000}`;
    const jobId = await dispatcher.dispatch(runner.config.provider, {
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm: `echo up; sleep ${marker}`,
      maxDurationSeconds: 60,
    });
    await dispatcher.waiter.poll([dispatcher.keys.jobLog(jobId)], 15_000, undefined, async () =>
      (await dispatcher.store.readLog(jobId)).totalBytes > 0 ? true : undefined,
    );
    expect(processesWith(`sleep ${marker}`).length).toBe(1);
    expect(await dispatcher.delete(jobId)).toBe(true);
    expect(await dispatcher.store.get(jobId)).toBeUndefined();
    // Nothing signals "killed" once the record is gone, so look until the process disappears (bounded).
    const until = Date.now() + 5000;
    while (processesWith(`sleep ${marker}`).length > 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    expect(await dispatcher.store.get(jobId)).toBeUndefined();
    expect(await dispatcher.redis.exists(dispatcher.keys.jobLog(jobId), dispatcher.keys.jobResult(jobId, 0))).toBe(0);
  });

  it(
    'a job whose provider has no runner stays at 1, then fails at 2 with a reason when the agreement ' + 'expires',
    async () => {
      const nobody = Wallet.createRandom().address.toLowerCase();
      const validToMs = Date.now() + 1500;
      const jobId = await dispatcher.dispatch(nobody, { algorithm: 'console.log(1)' }, { validToMs });
      expect((await dispatcher.store.get(jobId))?.status).toBe(1);
      const job = await dispatcher.waitForEnd(jobId);
      expect(Date.now()).toBeGreaterThanOrEqual(validToMs);
      expect(job.status).toBe(2);
      expect(job.statusText).toBe('Job expired in queue');
      expect(job.reason).toMatch(
        new RegExp(`no runner of provider ${nobody} started the job before the agreement's validity ended`),
      );
    },
  );

  it('stopping a job that has not started ends it at once', async () => {
    const jobId = await dispatcher.dispatch(Wallet.createRandom().address.toLowerCase(), {
      algorithm: 'console.log(1)',
    });
    const job = await dispatcher.store.requestStop(jobId);
    expect(job?.status).toBe(70);
    expect(job?.reason).toBe('stopped by request before the job started');
    expect(job?.dateFinished).not.toBe('');
  });
});

import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Wallet } from 'ethers';
import type { Runner } from '../../../src/compute/runner/runner';
import { projectRoot } from '../../../src/kernel/paths';
import { freePort } from '../../../src/store/embeddedRedis';
import { TEST_AUTH_SECRET, testRedisUrl } from '../../support/instance';
import { until } from '../../support/wait';
import { ComputeApi, COMPUTE_API_ENV, startRunner, testPrefix } from './support';

/** Open long-polls of the API at `url`, read from its Prometheus metrics. */
async function openLongPolls(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('bourse_long_polls_open'));
  return Number(line?.split(' ')[1] ?? 0);
}

describe('a runner given several API URLs', () => {
  const prefix = testPrefix();
  let b: ComputeApi;
  let a: ChildProcess | undefined;
  let runner: Runner | undefined;

  afterAll(async () => {
    a?.kill('SIGKILL');
    await runner?.stop();
    await b?.close();
  });

  it('continues through another instance when the one it long-polls on is SIGKILLed, and loses no job', async () => {
    b = await ComputeApi.start({ prefix });
    const port = await freePort();
    const urlA = `http://127.0.0.1:${port}`;
    // Instance A is its own OS process, so it can die the hard way.
    a = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli.ts'), 'api'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        ...COMPUTE_API_ENV,
        REDIS_URL: testRedisUrl(),
        BOURSE_KEY_PREFIX: prefix,
        BOURSE_AUTH_SECRET: TEST_AUTH_SECRET,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    await until(
      () =>
        fetch(`${urlA}/ready`).then(
          (r) => r.ok,
          () => false,
        ),
      'instance A to be ready',
      20_000,
      50,
    );

    const privateKey = Wallet.createRandom().privateKey;
    const provider = new Wallet(privateKey).address.toLowerCase();
    runner = await startRunner(`${urlA},${b.url}`, { privateKey });
    expect(runner.api.baseUrl).toBe(urlA);
    // The runner's claim is waiting on A.
    await until(async () => (await openLongPolls(urlA)) >= 1, "the runner's claim to wait on A", 10_000, 20);

    const before = await b.dispatch(provider, { runtime: 'sh', entrypoint: ['sh', '$ALGO'], algorithm: 'echo one' });
    expect((await b.waitForEnd(before)).status).toBe(70);
    await until(async () => (await openLongPolls(urlA)) >= 1, 'the next claim to wait on A', 10_000, 20);

    a.kill('SIGKILL');
    const jobId = await b.dispatch(provider, { runtime: 'sh', entrypoint: ['sh', '$ALGO'], algorithm: 'echo two' });
    const done = await b.waitForEnd(jobId, 20_000);
    expect(done.status).toBe(70);
    expect(done.runnerId).toBe(runner.config.runnerId);
    expect((await b.readResult(jobId, 0))?.bytes.toString()).toBe('two\n');
    expect(runner.api.baseUrl).toBe(b.url);
  });
});

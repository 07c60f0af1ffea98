import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Wallet } from 'ethers';
import { DEMO_SPEC, followJob, negotiate } from '../../../examples/requestor';
import { environmentOf, startRunnerMarket } from '../../../src/compute/runner/agent';
import type { Runner } from '../../../src/compute/runner/runner';
import { createLogger } from '../../../src/kernel/logger';
import { projectRoot } from '../../../src/kernel/paths';
import { freePort } from '../../../src/store/embeddedRedis';
import { newParty } from '../../support/identities';
import { TEST_AUTH_SECRET, testRedisUrl } from '../../support/instance';
import { yaClient } from '../../support/yaClient';
import { until } from '../../support/wait';
import { ComputeApi, COMPUTE_API_ENV, startRunner, testPrefix } from './support';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

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
  let stopMarket: (() => Promise<void>) | undefined;

  afterAll(async () => {
    a?.kill('SIGKILL');
    await stopMarket?.();
    await runner?.stop();
    await b?.close();
  });

  it('continues (jobs and market) through another instance when the one it long-polls on is SIGKILLed, and loses no job', async () => {
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
    // Its market presence goes through the same client, so it fails over too.
    const environment = environmentOf(runner.config);
    stopMarket = startRunnerMarket({ api: runner.api, environment, log, pollSeconds: 1 }, provider);
    // The runner's claim is waiting on A.
    await until(
      async () => (await openLongPolls(urlA)) >= 2,
      "the claim (and the offer's collect) to wait on A",
      10_000,
      20,
    );

    const before = await b.dispatch(provider, { runtime: 'sh', entrypoint: ['sh', '$ALGO'], algorithm: 'echo one' });
    expect((await b.waitForEnd(before)).status).toBe(70);
    await until(
      async () => (await openLongPolls(urlA)) >= 2,
      'the next claim (and a collect) to wait on A',
      10_000,
      20,
    );

    a.kill('SIGKILL');
    const jobId = await b.dispatch(provider, { runtime: 'sh', entrypoint: ['sh', '$ALGO'], algorithm: 'echo two' });
    const done = await b.waitForEnd(jobId, 20_000);
    expect(done.status).toBe(70);
    expect(done.runnerId).toBe(runner.config.runnerId);
    expect((await b.readResult(jobId, 0))?.bytes.toString()).toBe('two\n');
    expect(runner.api.baseUrl).toBe(b.url);

    // The market still reaches the runner through B: a requestor negotiates there and its job runs.
    const requestor = await newParty(b.api);
    const market = yaClient(b.api, requestor).requestor;
    const agreementId = await negotiate(market, DEMO_SPEC, () => undefined, 30_000);
    const job = await followJob(b.url, requestor.token, agreementId, () => undefined, 30_000, 100);
    expect(job).toMatchObject({ status: 70, reason: null });
  });
});

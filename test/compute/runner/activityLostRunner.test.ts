import type { ChildProcess } from 'node:child_process';
import { Wallet } from 'ethers';
import { TokenService } from '../../../src/auth/tokens';
import { activityClient, approvedAgreementOf } from '../../activity/support';
import { spawnCli } from '../../support/cli';
import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { until } from '../../support/wait';
import { runnerEnv, tempDir } from './support';

const STALL_MS = 3000;

/** `bourse runner` as its own OS process, SIGKILLed in the middle of an activity's batch. */
let t: TestInstance;
let child: ChildProcess | undefined;
beforeAll(async () => {
  t = await startTestInstance({ env: { BOURSE_JOB_WATCHDOG_MS: '200' } });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await t.close();
});

it('ends the running batch with an Error result within the stall interval and the activity Terminated', async () => {
  const wallet = Wallet.createRandom();
  const address = wallet.address.toLowerCase();
  const token = await new TokenService(t.instance.core).issue(address, Math.floor(Date.now() / 1000) + 3600);
  const provider = { wallet: wallet as unknown as Wallet, address, token };
  const env = runnerEnv(t.url, tempDir('work'), wallet.privateKey, {
    BOURSE_RUNNER_STALL_INTERVAL_MS: String(STALL_MS),
  });
  child = spawnCli(['runner'], { env, stdio: ['ignore', 'ignore', 'ignore'] });

  const requestor = await newParty(t);
  const client = activityClient(t, requestor);
  const { activityId } = (await client.create(await approvedAgreementOf(t, requestor, provider))).body as {
    activityId: string;
  };
  const script = [{ run: { entry_point: 'sh', args: ['-c', 'echo started; sleep 60'] } }];
  const batchId = (await client.exec(activityId, script)).body as string;
  const { redis, keys } = t.instance.core;
  // Its first output line proves the command runs on the runner.
  await until(
    async () => (await redis.lrange(keys.activityBatchEvents(batchId), 0, -1)).some((e) => e.includes('started')),
    'the command running',
    30_000,
  );
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const res = await client.results(activityId, batchId, { timeout: 30 });
  const detectedMs = Date.now() - killedAt;
  expect(res.body).toEqual([
    expect.objectContaining({
      index: 0,
      result: 'Error',
      isBatchFinished: true,
      message: expect.stringMatching(/runner/),
    }),
  ]);
  expect(detectedMs).toBeLessThan(STALL_MS + 2000); // the configured bound, plus the watchdog tick and slack
  expect((await client.state(activityId)).body.state).toEqual(['Terminated', null]);
  // Nothing is stuck: a new batch is refused at once.
  expect((await client.exec(activityId, script)).status).toBe(410);
}, 60_000);

import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { TokenService } from '../../../src/auth/tokens';
import type { Runner } from '../../../src/compute/runner/runner';
import { activityClient, approvedAgreementOf } from '../../activity/support';
import { newParty } from '../../support/identities';
import { until } from '../../support/wait';
import { ComputeApi, startRunner } from './support';

/** An activity's CPU time is the sandboxed processes' (not wall time), and usage sees it while a command runs. */

let api: ComputeApi;
let runner: Runner;
beforeAll(async () => {
  api = await ComputeApi.start();
  runner = await startRunner(api.url, { privateKey: Wallet.createRandom().privateKey });
});
afterAll(async () => {
  await runner.stop();
  await api.close();
});

it('reports CPU seconds of a running command at each renewal, and a sleeping command costs next to none', async () => {
  const address = runner.config.provider;
  const token = await new TokenService(api.core).issue(address, Math.floor(Date.now() / 1000) + 3600);
  const provider = { wallet: runner.config.wallet as unknown as Wallet, address, token };
  const requestor = await newParty(api.api);
  const client = activityClient(api.api, requestor);
  const { activityId } = (await client.create(await approvedAgreementOf(api.api, requestor, provider))).body as {
    activityId: string;
  };
  const cpuSeconds = async (): Promise<number> =>
    ((await client.usage(activityId)).body as { currentUsage: number[] }).currentUsage[1];

  // A command that sleeps for a second uses (almost) no CPU: usage is not wall time.
  const sleeper = (await client.exec(activityId, [{ run: { entry_point: 'sh', args: ['-c', 'sleep 1'] } }]))
    .body as string;
  const slept = (await client.results(activityId, sleeper, { timeout: 60 })).body as Array<{ result: string }>;
  expect(slept.map((r) => r.result)).toEqual(['Ok']);
  expect(await cpuSeconds()).toBeLessThan(0.5);

  // A command that spins until it is stopped: its CPU time shows while it runs.
  const spin = (await client.exec(activityId, [{ run: { entry_point: 'node', args: ['-e', 'for (;;);'] } }]))
    .body as string;
  await until(async () => (await cpuSeconds()) >= 0.5, 'CPU time reported while the command runs', 60_000);
  const meanwhile = (await client.results(activityId, spin, { timeout: 0 })).body as unknown[];
  expect(meanwhile).toEqual([]);
  // Destroying the activity kills the command; the runner still reports its result (and the rest of its CPU time).
  await client.destroy(activityId);
  let ended: Array<{ result: string; message: string }> = [];
  await until(async () => {
    ended = (await client.results(activityId, spin, { timeout: 0 })).body as typeof ended;
    return ended.length > 0;
  }, "the killed command's result");
  expect(ended).toEqual([expect.objectContaining({ result: 'Error', message: expect.stringMatching(/terminated/) })]);
  await until(() => !fs.existsSync(path.join(runner.config.workDir, `activity-${activityId}`)), 'workspace removed');
}, 90_000);

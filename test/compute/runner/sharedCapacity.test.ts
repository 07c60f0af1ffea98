import { Wallet } from 'ethers';
import { TokenService } from '../../../src/auth/tokens';
import type { Runner } from '../../../src/compute/runner/runner';
import { activityClient, approvedAgreementOf } from '../../activity/support';
import { newParty, type Party } from '../../support/identities';
import { ComputeApi, startRunner } from './support';

/** Jobs and activities share one runner's budget (BOURSE_RUNNER_CONCURRENCY=1 here): one unit, one at a time. */

let api: ComputeApi;
let runner: Runner;
let provider: Party;
beforeAll(async () => {
  api = await ComputeApi.start();
  const wallet = Wallet.createRandom();
  runner = await startRunner(api.url, { privateKey: wallet.privateKey, env: { BOURSE_RUNNER_CONCURRENCY: '1' } });
  const address = wallet.address.toLowerCase();
  const token = await new TokenService(api.core).issue(address, Math.floor(Date.now() / 1000) + 3600);
  provider = { wallet: wallet as unknown as Wallet, address, token };
});
afterAll(async () => {
  await runner.stop();
  await api.close();
});

type Result = { result: string; eventDate: string };

async function activity() {
  const requestor = await newParty(api.api);
  const client = activityClient(api.api, requestor);
  const agreementId = await approvedAgreementOf(api.api, requestor, provider);
  const { activityId } = (await client.create(agreementId)).body as { activityId: string };
  const exec = async (script: unknown[]): Promise<string> => (await client.exec(activityId, script)).body as string;
  const results = async (batchId: string): Promise<Result[]> =>
    (await client.results(activityId, batchId, { timeout: 60 })).body as Result[];
  return { client, activityId, exec, results };
}

it('a live activity holds the only unit: a job waits for it to end; a running job makes a new activity wait', async () => {
  const first = await activity();
  expect((await first.results(await first.exec([{ start: {} }]))).map((r) => r.result)).toEqual(['Ok']);

  const waiting = await api.dispatch(runner.config.provider, { algorithm: 'console.log("ran")' });
  // The runner keeps serving the activity it holds, and still claims no job.
  const again = await first.results(await first.exec([{ run: { entry_point: 'sh', args: ['-c', 'echo held'] } }]));
  expect(again.map((r) => r.result)).toEqual(['Ok']);
  expect((await api.store.get(waiting))?.status).toBe(1);

  await first.client.destroy(first.activityId);
  expect((await api.waitForEnd(waiting, 30_000)).status).toBe(70);

  // A job holding the unit: a new activity's first batch is claimed only after the job ended.
  const busy = await api.dispatch(runner.config.provider, {
    algorithm: 'setTimeout(() => {}, 60_000)',
    maxDurationSeconds: 3,
  });
  await api.waitFor(busy, (job) => job.status === 40);
  const second = await activity();
  const results = await second.results(await second.exec([{ start: {} }]));
  const ended = await api.waitForEnd(busy);
  expect(results.map((r) => r.result)).toEqual(['Ok']);
  expect(Date.parse(results[0].eventDate)).toBeGreaterThanOrEqual(Number(ended.dateFinished) * 1000);
  await second.client.destroy(second.activityId);
}, 90_000);

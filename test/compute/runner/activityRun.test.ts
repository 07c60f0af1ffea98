import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { TokenService } from '../../../src/auth/tokens';
import type { Runner } from '../../../src/compute/runner/runner';
import { activityClient, approvedAgreementOf } from '../../activity/support';
import { newParty, type Party } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { until } from '../../support/wait';
import { startRunner } from './support';

/** A real runner executes ExeScript batches of its provider's activities in a bubblewrap workspace. */

let t: TestInstance;
let runner: Runner;
let provider: Party;
beforeAll(async () => {
  t = await startTestInstance({ env: { BOURSE_JOB_WATCHDOG_MS: '200' } });
  const wallet = Wallet.createRandom();
  runner = await startRunner(t.url, { privateKey: wallet.privateKey, env: { BOURSE_RUNNER_MAX_DURATION: '2' } });
  const address = wallet.address.toLowerCase();
  const token = await new TokenService(t.instance.core).issue(address, Math.floor(Date.now() / 1000) + 3600);
  provider = { wallet: wallet as unknown as Wallet, address, token };
});
afterAll(async () => {
  await runner.stop();
  await t.close();
});

type Result = {
  index: number;
  result: string;
  stdout: string | null;
  stderr: string | null;
  message: string | null;
  isBatchFinished: boolean;
};

async function rental() {
  const requestor = await newParty(t);
  const agreementId = await approvedAgreementOf(t, requestor, provider);
  const client = activityClient(t, requestor);
  const { activityId } = (await client.create(agreementId)).body as { activityId: string };
  const run = async (script: unknown[]): Promise<Result[]> => {
    const batchId = (await client.exec(activityId, script)).body as string;
    return (await client.results(activityId, batchId, { timeout: 30 })).body as Result[];
  };
  const workspace = path.join(runner.config.workDir, `activity-${activityId}`);
  return { client, activityId, run, workspace };
}

it('deploys, starts and runs node, reporting stdout per command, in one workspace that goes with the activity', async () => {
  const r = await rental();
  const results = await r.run([
    { deploy: {} },
    { start: {} },
    { run: { entry_point: 'node', args: ['-e', 'console.log(6*7)'] } },
  ]);
  expect(results.map((x) => x.result)).toEqual(['Ok', 'Ok', 'Ok']);
  expect(results[2]).toMatchObject({ stdout: '42\n', isBatchFinished: true });
  expect((await r.client.state(r.activityId)).body.state).toEqual(['Ready', null]);
  expect(fs.existsSync(r.workspace)).toBe(true);

  // A transferred file is readable by a later batch's command (the workspace lives as long as the activity).
  const data = `data:text/plain;base64,${Buffer.from('hello file').toString('base64')}`;
  const second = await r.run([
    { transfer: { from: data, to: 'container:/golem/input/hello.txt' } },
    { run: { entry_point: '/bin/sh', args: ['-c', 'cat inputs/hello.txt /golem/input/hello.txt; echo oops >&2'] } },
  ]);
  expect(second.map((x) => [x.result, x.stdout, x.stderr])).toEqual([
    ['Ok', null, null],
    ['Ok', 'hello filehello file', 'oops\n'],
  ]);

  // Files a command writes persist to the next run and the next batch; one can be published to the result store.
  const written = await r.run([
    { run: { entry_point: 'sh', args: ['-c', 'mkdir -p work && echo first > work/a.txt'] } },
    { run: { entry_point: 'sh', args: ['-c', 'echo second >> /golem/work/work/a.txt'] } },
  ]);
  expect(written.map((x) => [x.result, x.message, x.stderr])).toEqual([
    ['Ok', null, ''],
    ['Ok', null, ''],
  ]);
  const later = await r.run([
    { run: { entry_point: 'sh', args: ['-c', 'cat work/a.txt'] } },
    { transfer: { from: 'container:/data/work/a.txt', to: 'result:a.txt' } },
    { transfer: { from: 'container:/etc/passwd', to: 'result:passwd' } },
  ]);
  expect(later.map((x) => [x.result, x.stdout])).toEqual([
    ['Ok', 'first\nsecond\n'],
    ['Ok', null],
    ['Error', null],
  ]);
  expect(later[2].message).toMatch(/outside the workspace/);
  const download = await r.client.get(`/activity/${r.activityId}/results/a.txt`).buffer(true);
  expect([download.status, download.body.toString()]).toEqual([200, 'first\nsecond\n']);
  expect((await r.client.get(`/activity/${r.activityId}/results`)).body).toEqual([{ name: 'a.txt', size: 13 }]);
  expect((await r.client.usage(r.activityId)).body.currentUsage[1]).toBeGreaterThan(0);

  expect((await r.client.destroy(r.activityId)).status).toBe(200);
  await until(() => !fs.existsSync(r.workspace), 'the workspace removed', 10_000);
});

it('ends a batch at a failing command with a clear Error result: exit code, disallowed, unsupported', async () => {
  const r = await rental();
  const exit = await r.run([{ run: { entry_point: 'sh', args: ['-c', 'echo before; exit 3'] } }, { start: {} }]);
  expect(exit).toEqual([
    expect.objectContaining({
      result: 'Error',
      stdout: 'before\n',
      message: 'exited with code 3',
      isBatchFinished: true,
    }),
  ]);
  const disallowed = await r.run([{ run: { entry_point: '/usr/bin/curl', args: ['http://example.com'] } }]);
  expect(disallowed[0]).toMatchObject({ result: 'Error', message: expect.stringMatching(/"curl" is not allowed/) });
  const unsupported = await r.run([{ sign: {} }]);
  expect(unsupported[0]).toMatchObject({ result: 'Error', message: 'command "sign" is not supported by this runner' });
  // The activity is still usable after failures.
  const fine = await r.run([{ run: { entry_point: 'sh', args: ['-c', 'echo ok'] } }]);
  expect(fine[0]).toMatchObject({ result: 'Ok', stdout: 'ok\n' });
  await r.client.destroy(r.activityId);
  await until(() => !fs.existsSync(r.workspace), 'the workspace removed', 10_000);
});

it('kills a command past the time limit and says so; terminate ends the activity and removes the workspace', async () => {
  const r = await rental();
  const slow = await r.run([{ run: { entry_point: 'sh', args: ['-c', 'sleep 20'] } }]);
  expect(slow[0]).toMatchObject({ result: 'Error', message: 'time limit of 2 s reached: the command was killed' });
  const end = await r.run([{ terminate: {} }]);
  expect(end[0]).toMatchObject({ result: 'Ok', isBatchFinished: true });
  expect((await r.client.state(r.activityId)).body.state).toEqual(['Terminated', null]);
  await until(() => !fs.existsSync(r.workspace), 'the workspace removed', 10_000);
  expect((await r.client.exec(r.activityId, [{ start: {} }])).status).toBe(410);
});

import fs from 'node:fs';
import path from 'node:path';
import { GolemNetwork } from '@golem-sdk/golem-js';
import { firstJobId } from '../../src/compute/jobs/record';
import { runtimePackage } from '../../src/compute/runtimePackages';
import { startTestInstance, TestInstance } from '../support/instance';
import { BuiltInRunner, startBuiltInRunner } from '../support/runner';
import { until } from '../support/wait';
import { appKeyParty } from './support';

/**
 * golem-js's central use, unchanged, against Bourse: `oneOf` rents the built-in runner (a demand with no
 * `bourse.job.*` is an activity rental), its exe-unit runs commands on the runner, and everything finishes cleanly.
 */

const NODE = runtimePackage('node');

const ORDER = {
  demand: {
    workload: {
      runtime: { name: 'bourse-process' },
      // The node runtime's package (GET /api/runtimes): golem-js asks no image registry given imageUrl + imageHash.
      imageUrl: NODE.imageUrl,
      imageHash: NODE.imageHash,
    },
  },
  market: {
    rentHours: 0.5,
    pricing: { model: 'linear', maxStartPrice: 1, maxCpuPerHourPrice: 10, maxEnvPerHourPrice: 10 },
  },
} as const;

let t: TestInstance;
let runner: BuiltInRunner;
let glm: GolemNetwork;
let key: string;

beforeAll(async () => {
  t = await startTestInstance();
  runner = await startBuiltInRunner(t, {
    BOURSE_RUNNER_DISK: '4gb',
    BOURSE_RUNNER_MEMORY: '1gb',
    // Priced per CPU second only, so the final invoice is exactly the CPU time the runner reported.
    BOURSE_RUNNER_PRICE: '0,0.001,0',
    // Not a lost-runner test: a lease long enough that a loaded machine never lapses it mid-command.
    BOURSE_RUNNER_STALL_INTERVAL_MS: '20000',
    // The per-command time limit the time-limit case runs into (generous for every other command here).
    BOURSE_RUNNER_MAX_DURATION: '8',
  });
  const party = await appKeyParty(t);
  key = party.key;
  glm = new GolemNetwork({ api: { key: party.key, url: t.url } });
  await glm.connect();
}, 30_000);
afterAll(async () => {
  await runner?.stop();
  await t?.close();
});

it('GET /api/runtimes publishes the task package of every runtime the live runner serves', async () => {
  await until(async () => ((await t.request.get('/api/runtimes')).body as unknown[]).length > 0, 'a heartbeat');
  const res = await t.request.get('/api/runtimes').expect(200);
  expect(res.body).toEqual(
    ['node', 'python3', 'sh'].map((name) => ({ ...runtimePackage(name), providers: [runner.provider] })),
  );
});

it('a paid rental: golem-js accepts the debit notes that come while the activity lives, then the final invoice', async () => {
  // golem-js states the interval it wants in its demand; 1 s (its minimum) so that notes come within the test.
  const order = { ...ORDER, demand: { ...ORDER.demand, payment: { midAgreementDebitNoteIntervalSec: 1 } } };
  const rental = await glm.oneOf({ order });
  const agreementId = rental.agreement.id;
  const forThis = <E extends { agreementId: string }>(
    event: 'debitNoteAccepted' | 'invoiceAccepted',
    pick: (e: never) => E,
  ) =>
    new Promise<E>((resolve) =>
      glm.payment.events.on(event, (e) => {
        const document = pick(e as never);
        if (document.agreementId === agreementId) resolve(document);
      }),
    );
  const noteAccepted = forThis(
    'debitNoteAccepted',
    (e: { debitNote: { agreementId: string; id: string } }) => e.debitNote,
  );
  const exe = await rental.getExeUnit();
  expect(String((await exe.run('node -e "console.log(6*7)"')).stdout).trim()).toBe('42');
  const note = await noteAccepted;

  const invoiceAccepted = forThis(
    'invoiceAccepted',
    (e: { invoice: { agreementId: string; id: string } }) => e.invoice,
  );
  await rental.stopAndFinalize();
  await invoiceAccepted;

  // In the ledger: the note was accepted by the requestor, and the invoice is booked on the same allocation.
  const get = (path: string) => t.request.get(`/payment-api/v1/${path}`).set('Authorization', `Bearer ${key}`);
  const stored = (await get(`debitNotes/${note.id}`)).body as { status: string; activityId: string };
  expect(stored.status).toBe('ACCEPTED');
  const activityIds = await t.instance.core.redis.smembers(t.instance.core.keys.agreementActivities(agreementId));
  expect(activityIds).toContain(stored.activityId);
  const invoices = ((await get('invoices')).body as Array<{ agreementId: string; status: string }>).filter(
    (i) => i.agreementId === agreementId,
  );
  expect(invoices.map((i) => i.status)).toEqual(['ACCEPTED']);
}, 60_000);

it('oneOf → getExeUnit → run prints 42; runAndStream streams lines; stopAndFinalize and disconnect finish', async () => {
  const rental = await glm.oneOf({ order: ORDER });
  const exe = await rental.getExeUnit();
  const result = await exe.run('node -e "console.log(6*7)"');
  // The message and stderr say why when the command failed.
  expect({ result: result.result, message: result.message, stderr: result.stderr }).toMatchObject({ result: 'Ok' });
  expect(String(result.stdout).trim()).toBe('42');

  const lines: string[] = [];
  const errors: string[] = [];
  const remote = await exe.runAndStream('echo one; echo bad >&2; sleep 0.3; echo two');
  remote.stdout.subscribe((chunk) => lines.push(String(chunk)));
  remote.stderr.subscribe((chunk) => errors.push(String(chunk)));
  const finished = await remote.waitForExit(20_000);
  expect(finished.result).toBe('Ok');
  // stdout and stderr stream apart, as yagna's runtime events keep them.
  expect([lines.join(''), errors.join('')]).toEqual(['one\ntwo\n', 'bad\n']);

  const failed = await exe.run('exit 3');
  expect(failed.result).toBe('Error');

  // An activity rental starts no Ocean-style job on approval.
  const { keys, redis } = t.instance.core;
  expect(await redis.exists(keys.agreementJobs(rental.agreement.id), keys.job(firstJobId(rental.agreement.id)))).toBe(
    0,
  );

  await rental.stopAndFinalize();
  await glm.disconnect();

  // The final invoice bills the CPU seconds of the agreement's activities.
  const activityIds = await redis.smembers(keys.agreementActivities(rental.agreement.id));
  expect(activityIds.length).toBe(1);
  const cpuMs = Number(await redis.hget(keys.activity(activityIds[0]), 'cpuMs'));
  expect(cpuMs).toBeGreaterThan(0);
  let invoices: Array<{ agreementId: string; amount: string }> = [];
  await until(async () => {
    const res = await t.request.get('/payment-api/v1/invoices').set('Authorization', `Bearer ${key}`);
    invoices = (res.body as typeof invoices).filter((i) => i.agreementId === rental.agreement.id);
    return invoices.length > 0;
  }, 'the final invoice');
  expect(Number(invoices[0].amount)).toBeCloseTo((cpuMs / 1000) * 0.001, 9);
}, 60_000);

it('a rental keeps its files between runs, reports stdout and stderr apart, and ends failures with clear results', async () => {
  // The first case disconnected the shared client: a client of its own (the same requestor).
  const golem = new GolemNetwork({ api: { key, url: t.url } });
  await golem.connect();
  const rental = await golem.oneOf({ order: ORDER });
  const exe = await rental.getExeUnit();
  const workspace = path.join(runner.runner.config.workDir, `activity-${exe.activity.id}`);

  const both = await exe.run('echo out; echo err >&2');
  expect([both.result, both.stdout, both.stderr]).toEqual(['Ok', 'out\n', 'err\n']);

  // A file one run writes is there for the next run; the workspace can publish it to the result store.
  expect((await exe.run('mkdir -p notes && echo kept > notes/a.txt')).result).toBe('Ok');
  const kept = await exe.run('cat /golem/work/notes/a.txt');
  expect([kept.result, kept.stdout]).toEqual(['Ok', 'kept\n']);
  const sent = await exe.transfer(`data:text/plain;base64,${Buffer.from('in').toString('base64')}`, 'container:b.txt');
  const published = await exe.transfer('container:notes/a.txt', 'result:a.txt');
  expect([sent.result, published.result]).toEqual(['Ok', 'Ok']);
  const download = await t.request
    .get(`/activity-api/v1/activity/${exe.activity.id}/results/a.txt`)
    .set('Authorization', `Bearer ${key}`)
    .buffer(true);
  expect([download.status, download.body.toString()]).toEqual([200, 'kept\n']);
  expect((await exe.run('cat b.txt')).stdout).toBe('in');

  const exit = await exe.run('echo partial; echo why >&2; exit 7');
  expect([exit.result, exit.stdout, exit.stderr, exit.message]).toEqual([
    'Error',
    'partial\n',
    'why\n',
    'exited with code 7',
  ]);
  const slow = await exe.run('echo started; sleep 120');
  expect([slow.result, slow.stdout, slow.message]).toEqual([
    'Error',
    'started\n',
    'time limit of 8 s reached: the command was killed',
  ]);
  const disallowed = await exe.run('curl', ['http://example.com']);
  expect(disallowed.result).toBe('Error');
  expect(disallowed.message).toMatch(/command "curl" is not allowed by this runner/);
  // Failures leave the activity usable, its files in place.
  const after = await exe.run('cat notes/a.txt');
  expect([after.result, after.message, after.stdout, after.stderr]).toEqual(['Ok', null, 'kept\n', '']);
  expect(fs.existsSync(workspace)).toBe(true);

  // Someone else cannot start an activity on this agreement: it does not exist for them.
  const other = await appKeyParty(t, 'someone-else');
  const stranger = await t.request
    .post('/activity-api/v1/activity')
    .set('Authorization', `Bearer ${other.key}`)
    .send({ agreementId: rental.agreement.id });
  expect(stranger.status).toBe(404);
  const glm2 = new GolemNetwork({ api: { key: other.key, url: t.url } });
  await glm2.connect();
  await expect(glm2.activity.createActivity(rental.agreement)).rejects.toThrow();
  await glm2.disconnect();

  await rental.stopAndFinalize();
  await until(() => !fs.existsSync(workspace), 'the workspace removed', 20_000);
  // The activity is destroyed: exec on it is refused, not left hanging.
  await expect(exe.run('echo late')).rejects.toThrow();
  await golem.disconnect();
}, 120_000);

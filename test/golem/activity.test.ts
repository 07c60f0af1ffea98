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
  const remote = await exe.runAndStream('echo one; sleep 0.3; echo two');
  remote.stdout.subscribe((chunk) => lines.push(String(chunk)));
  const finished = await remote.waitForExit(20_000);
  expect(finished.result).toBe('Ok');
  expect(lines.join('')).toBe('one\ntwo\n');

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

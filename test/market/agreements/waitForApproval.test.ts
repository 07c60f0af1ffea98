import type { Response, Test } from 'supertest';
import { twoInstancesOfOneMarket, type TestInstance } from '../../support/instance';
import { agreement, client, inSeconds } from './fixtures';

/**
 * waitForApproval across two instances of one market: the timeout, the wake-up by another instance's
 * approve or reject, and expiry by the sweeper with no request touching the agreement.
 */

let a: TestInstance;
let b: TestInstance;
twoInstancesOfOneMarket((first, second) => ([a, b] = [first, second]));

/** Resolves once instance `t` has a waiter registered on the agreement's state (the wait is really waiting). */
async function waiting(t: TestInstance, id: string): Promise<void> {
  const key = t.instance.core.keys.agreementState(id);
  const deadline = Date.now() + 5000;
  while (t.instance.core.waiter.refCount(key) === 0) {
    if (Date.now() > deadline) throw new Error('the wait never registered');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Sends a supertest request now (they are lazy until awaited). */
const send = (test: Test): Promise<Response> => test.then((res) => res);

async function pending() {
  const x = await agreement(a);
  expect((await x.requestor.confirm(x.id)).status).toBe(204);
  return { ...x, providerOnB: client(b, x.n.provider) };
}

it('answers 408 after about a second with timeout=1 while Pending', async () => {
  const { id, requestor } = await pending();
  const started = Date.now();
  const res = await requestor.wait(id, 1);
  const elapsed = Date.now() - started;
  expect(res.status).toBe(408);
  expect(res.body.message).toBe(`Timeout while waiting for Agreement [R-${id}] approval.`);
  expect(elapsed).toBeGreaterThanOrEqual(950);
  expect(elapsed).toBeLessThan(2500);
  expect((await requestor.get(id)).body.state).toBe('Pending');
});

it('returns 204 within 100 ms of an approve on the other instance', async () => {
  const { id, requestor, providerOnB } = await pending();
  const started = Date.now();
  let waitDone = 0;
  const wait = requestor.wait(id, 20).then((res) => {
    waitDone = Date.now();
    return res;
  });
  await waiting(a, id);
  const approve = await providerOnB.approve(id);
  const approveDone = Date.now();
  expect(approve.status).toBe(204);
  expect((await wait).status).toBe(204);
  expect(waitDone - approveDone).toBeLessThan(100);
  expect(waitDone - started).toBeLessThan(5000);
});

it('wakes every waiter, on both instances', async () => {
  const { id, n, requestor, providerOnB } = await pending();
  const requestorOnB = client(b, n.requestor);
  const waits = [send(requestor.wait(id, 20)), send(requestor.wait(id, 20)), send(requestorOnB.wait(id, 20))];
  await waiting(a, id);
  await waiting(b, id);
  const started = Date.now();
  expect((await providerOnB.approve(id)).status).toBe(204);
  expect((await Promise.all(waits)).map((r) => r.status)).toEqual([204, 204, 204]);
  expect(Date.now() - started).toBeLessThan(5000);
});

it('answers 410 {"message":"Rejected"} when the provider rejects while it waits', async () => {
  const { id, requestor, providerOnB } = await pending();
  const started = Date.now();
  const wait = send(requestor.wait(id, 20));
  await waiting(a, id);
  expect((await providerOnB.reject(id, { message: 'no capacity' })).status).toBe(204);
  const res = await wait;
  expect(res.status).toBe(410);
  expect(res.body).toEqual({ message: 'Rejected' });
  expect(Date.now() - started).toBeLessThan(5000);
});

it('answers 410 expired within a second of validTo, woken by the sweeper alone', async () => {
  const x = await agreement(a, inSeconds(1.5));
  expect((await x.requestor.confirm(x.id)).status).toBe(204);
  const validTo = Date.parse((await x.requestor.get(x.id)).body.validTo as string);
  const res = await x.requestor.wait(x.id, 20);
  const late = Date.now() - validTo;
  expect(res.status).toBe(410);
  expect(res.body.message).toBe(`Agreement [R-${x.id}] expired.`);
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(1000);
  // Expiry writes no event.
  expect((await x.requestor.events()).body).toEqual([]);
});

import { newParty } from '../../support/identities';
import { twoInstancesOfOneMarket, type TestInstance } from '../../support/instance';
import type { AgreementEvent } from '../../support/marketEvents';
import { agreement, client, type Client } from './fixtures';

/** Agreement event logs: exactly once, in order, per party, paged by the last eventDate; session filter; bounds. */

let a: TestInstance;
let b: TestInstance;
twoInstancesOfOneMarket((first, second) => ([a, b] = [first, second]));

/** Reads a party's whole log page by page, each page starting after the previous page's last eventDate. */
async function readAll(party: Client, pageSize: number): Promise<AgreementEvent[]> {
  const all: AgreementEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const res = await party.events({ maxEvents: pageSize, ...(cursor ? { afterTimestamp: cursor } : {}) });
    expect(res.status).toBe(200);
    const page = res.body as AgreementEvent[];
    expect(page.length).toBeLessThanOrEqual(pageSize);
    if (page.length === 0) return all;
    all.push(...page);
    cursor = page[page.length - 1].eventDate;
  }
}

it('delivers 250 transitions exactly once and in order to both parties, paged 7 at a time', async () => {
  const requestorParty = await newParty(a);
  const providerParty = await newParty(a);
  const parties = { requestor: requestorParty, provider: providerParty };
  // Both instances write, concurrently, so many events share a microsecond and the per-viewer clock must separate them.
  const expected: string[] = [];
  const scenario = async (i: number): Promise<void> => {
    const home = i % 2 === 0 ? a : b;
    const x = await agreement(home, undefined, parties);
    const provider = client(i % 2 === 0 ? b : a, providerParty);
    expect((await x.requestor.confirm(x.id)).status).toBe(204);
    switch (i % 3) {
      case 0:
        expect((await provider.approve(x.id)).status).toBe(204);
        expect((await x.requestor.terminate(x.id, { message: `end ${i}` })).status).toBe(204);
        expected.push(`${x.id} AgreementApprovedEvent`, `${x.id} AgreementTerminatedEvent`);
        break;
      case 1:
        expect((await provider.reject(x.id, { message: `no ${i}` })).status).toBe(204);
        expected.push(`${x.id} AgreementRejectedEvent`);
        break;
      default:
        expect((await x.requestor.cancel(x.id)).status).toBe(204);
        expected.push(`${x.id} AgreementCancelledEvent`);
    }
  };
  let i = 0;
  while (expected.length < 250) {
    await Promise.all(Array.from({ length: 8 }, () => scenario(i++)));
  }
  expect(expected.length).toBeGreaterThanOrEqual(250);

  for (const party of [client(a, requestorParty), client(b, providerParty)]) {
    const events = await readAll(party, 7);
    const seen = events.map((e) => `${e.agreementId} ${e.eventType}`);
    expect(seen).toHaveLength(expected.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected].sort());
    // Strictly increasing, unique timestamps with microsecond digits.
    for (const e of events) expect(e.eventDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    for (let k = 1; k < events.length; k++) expect(events[k].eventDate > events[k - 1].eventDate).toBe(true);
    // Per agreement, approval before termination.
    for (const [k, e] of events.entries()) {
      if (e.eventType === 'AgreementTerminatedEvent') {
        expect(
          events.slice(0, k).some((p) => p.agreementId === e.agreementId && p.eventType === 'AgreementApprovedEvent'),
        ).toBe(true);
      }
    }
  }
});

it("filters by the viewer's own appSessionId and long-polls until an event arrives", async () => {
  const x = await agreement(a);
  const y = await agreement(a, undefined, { requestor: x.n.requestor, provider: x.n.provider });
  expect((await x.requestor.confirm(x.id, 'session-x')).status).toBe(204);
  expect((await y.requestor.confirm(y.id, 'session-y')).status).toBe(204);
  expect((await x.provider.approve(x.id, 'provider-x')).status).toBe(204);
  expect((await y.provider.approve(y.id, 'provider-y')).status).toBe(204);

  const only = async (c: Client, session: string) =>
    ((await c.events({ appSessionId: session })).body as AgreementEvent[]).map((e) => e.agreementId);
  expect(await only(x.requestor, 'session-x')).toEqual([x.id]);
  expect(await only(x.requestor, 'session-y')).toEqual([y.id]);
  expect(await only(x.provider, 'provider-y')).toEqual([y.id]);
  // Sessions are per role: the requestor's session does not select the provider's events.
  expect(await only(x.provider, 'session-x')).toEqual([]);
  expect(((await x.requestor.events()).body as AgreementEvent[]).map((e) => e.agreementId)).toEqual([x.id, y.id]);

  // A waiting collect returns as soon as the event is written (on the other instance).
  const last = ((await x.provider.events()).body as AgreementEvent[]).pop()!.eventDate;
  const started = Date.now();
  const poll = x.provider.events({ timeout: 20, afterTimestamp: last }).then((res) => res);
  await new Promise<void>((resolve) => {
    const key = a.instance.core.keys.agreementEvents(x.n.provider.address);
    const check = (): void => (a.instance.core.waiter.refCount(key) > 0 ? resolve() : void setImmediate(check));
    check();
  });
  expect((await client(b, x.n.requestor).terminate(x.id, { message: 'bye' })).status).toBe(204);
  const res = await poll;
  expect(Date.now() - started).toBeLessThan(5000);
  expect(res.body).toEqual([
    {
      eventDate: expect.any(String),
      agreementId: x.id,
      eventType: 'AgreementTerminatedEvent',
      terminator: 'Requestor',
      signature: '',
      reason: { message: 'bye' },
    },
  ]);
});

it('returns [] after the timeout when nothing happens', async () => {
  const party = client(a, await newParty(a));
  const started = Date.now();
  const res = await party.events({ timeout: 1 });
  expect(res.body).toEqual([]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(950);
});

it('trims log entries older than the retention when it appends', async () => {
  const x = await agreement(a);
  const { redis, keys } = a.instance.core;
  const log = keys.agreementEvents(x.n.requestor.address);
  const ancient = (Date.now() - 2 * a.config.agreementRetentionSeconds * 1000) * 1000;
  await redis.zadd(
    log,
    ancient,
    JSON.stringify({ t: ancient, s: '', e: { agreementId: x.id, eventType: 'AgreementCancelledEvent' } }),
  );
  expect(await redis.zcard(log)).toBe(1);
  expect((await x.requestor.cancel(x.id, { message: 'trim' })).status).toBe(204);
  const events = (await x.requestor.events()).body as AgreementEvent[];
  expect(events.map((e) => e.reason?.message)).toEqual(['trim']);
  expect(await redis.zcard(log)).toBe(1);
  expect(await redis.pttl(log)).toBeGreaterThan(0);
});

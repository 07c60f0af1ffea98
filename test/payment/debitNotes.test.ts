import { randomBytes } from 'node:crypto';
import { debitNoteIntervalMs, DEBIT_NOTE_INTERVAL } from '../../src/payment/debitNotes';
import { debitNoteId } from '../../src/payment/invoicing';
import { activityClient } from '../activity/support';
import { API_DEMAND, API_OFFER, negotiateViaApi } from '../market/agreements/fixtures';
import type { Party } from '../support/identities';
import { startTestInstance, TestInstance, twoInstancesOfOneMarket } from '../support/instance';
import { until } from '../support/wait';

/**
 * Debit notes of priced activities, through the real API: the schedule (one note per interval, claimed atomically by
 * one instance), the amounts (cumulative per activity), and the ledger booking only what earlier acceptances of the
 * agreement did not. Sweeps are called with an explicit "now" an interval ahead, so no test waits for the clock; the
 * interval (600 s) is long enough that the instances' own sweeps never reach these activities.
 */

const API = '/payment-api/v1';
const as = (p: Party) => ({ Authorization: `Bearer ${p.token}` });
const INTERVAL_S = 600;
const PRICE = [0.01, 1, 0.5]; // per second, per CPU second, start
const PRICED_OFFER = {
  properties: {
    ...API_OFFER.properties,
    'golem.com.pricing.model': 'linear',
    'golem.com.pricing.model.linear.coeffs': PRICE,
    'golem.com.usage.vector': ['golem.usage.duration_sec', 'golem.usage.cpu_sec'],
  },
  constraints: API_OFFER.constraints,
};
const DEMAND = { properties: { ...API_DEMAND.properties, [DEBIT_NOTE_INTERVAL]: INTERVAL_S }, constraints: '()' };

/** An activity on a freshly negotiated, approved agreement (sessions req-1 / prov-1), and its creation time. */
async function activityOn(t: TestInstance, offer = PRICED_OFFER) {
  // A pair of its own: earlier tests' offers must not answer this demand.
  const pair = randomBytes(8).toString('hex');
  const n = await negotiateViaApi(
    t,
    { ...offer, properties: { ...offer.properties, 'test.pair': pair } },
    { ...DEMAND, constraints: `(test.pair=${pair})` },
  );
  const agreementId = (await n.requestor.createAgreement({
    proposalId: n.draftId,
    validTo: new Date(Date.now() + 3600_000).toISOString(),
  })) as string;
  await n.requestor.confirmAgreement(agreementId, 'req-1');
  await n.provider.approveAgreement(agreementId, 'prov-1', 5);
  const created = await activityClient(t, n.requestorParty).create(agreementId);
  expect(created.status).toBe(201);
  const activityId = created.body.activityId as string;
  const createdMs = Number(await t.instance.core.redis.hget(t.instance.core.keys.activity(activityId), 'createdMs'));
  return { ...n, agreementId, activityId, createdMs };
}

async function allocate(t: TestInstance, p: Party, totalAmount: string): Promise<string> {
  const res = await t.request.post(`${API}/allocations`).set(as(p)).send({ totalAmount });
  expect(res.status).toBe(201);
  return res.body.allocationId as string;
}

describe('debit-note interval', () => {
  const priced = PRICED_OFFER.properties;
  it("is the offer's, else the demand's, else 120 s, at least 1 s; none at a zero price", () => {
    expect(debitNoteIntervalMs({ offerProperties: priced, demandProperties: {} })).toBe(120_000);
    expect(debitNoteIntervalMs({ offerProperties: priced, demandProperties: { [DEBIT_NOTE_INTERVAL]: 5 } })).toBe(5000);
    const offerSays = { ...priced, [DEBIT_NOTE_INTERVAL]: 30 };
    expect(debitNoteIntervalMs({ offerProperties: offerSays, demandProperties: { [DEBIT_NOTE_INTERVAL]: 5 } })).toBe(
      30_000,
    );
    expect(debitNoteIntervalMs({ offerProperties: priced, demandProperties: { [DEBIT_NOTE_INTERVAL]: 0.01 } })).toBe(
      1000,
    );
    const free = { ...priced, 'golem.com.pricing.model.linear.coeffs': [0, 0, 0] };
    expect(debitNoteIntervalMs({ offerProperties: free, demandProperties: { [DEBIT_NOTE_INTERVAL]: 5 } })).toBe(0);
  });
});

describe('debit notes of priced activities', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('one cumulative note per interval, to the requestor session; the ledger books increments, then the invoice', async () => {
    const x = await activityOn(t);
    const debitNotes = t.instance.services.debitNotes;
    const due = x.createdMs + INTERVAL_S * 1000;
    expect(await debitNotes.sweep(due - 1)).not.toContain(debitNoteId(x.activityId, 1));
    const first = debitNoteId(x.activityId, 1);
    expect(await debitNotes.sweep(due)).toContain(first);
    // Claimed: the same moment issues it no second time; the next is due one interval later.
    expect(await debitNotes.sweep(due)).not.toContain(first);
    const second = debitNoteId(x.activityId, 2);
    expect(await debitNotes.sweep(due + INTERVAL_S * 1000)).toContain(second);

    const requestor = x.requestorParty;
    const note = (id: string) => t.request.get(`${API}/debitNotes/${id}`).set(as(requestor));
    expect((await note(first)).body).toMatchObject({
      debitNoteId: first,
      agreementId: x.agreementId,
      activityId: x.activityId,
      issuerId: x.providerParty.address,
      recipientId: requestor.address,
      status: 'RECEIVED',
      totalAmountDue: '6.5', // 600 s × 0.01 + 0.5
      usageCounterVector: [600, 0],
      paymentDueDate: new Date(due + INTERVAL_S * 1000).toISOString(), // no payment timeout agreed: the next note
    });
    expect((await note(second)).body.totalAmountDue).toBe('12.5');
    const events = await t.request.get(`${API}/debitNoteEvents?timeout=0&appSessionId=req-1`).set(as(requestor));
    expect(events.body.map((e: { debitNoteId: string }) => e.debitNoteId)).toEqual([first, second]);

    const allocationId = await allocate(t, requestor, '100');
    const spent = async () =>
      (await t.request.get(`${API}/allocations/${allocationId}`).set(as(requestor))).body.spentAmount as string;
    const accept = (kind: string, id: string, amount: string) =>
      t.request
        .post(`${API}/${kind}/${id}/accept`)
        .set(as(requestor))
        .send({ totalAmountAccepted: amount, allocationId });
    expect((await accept('debitNotes', first, '6.5')).status).toBe(200);
    expect(await spent()).toBe('6.5');
    expect((await accept('debitNotes', second, '12.5')).status).toBe(200);
    expect(await spent()).toBe('12.5'); // the second note states the total: it adds 6
    const third = debitNoteId(x.activityId, 3);
    expect(await debitNotes.sweep(due + 2 * INTERVAL_S * 1000)).toContain(third);

    // The agreement ends: the final invoice (its real, short duration: less than the notes) books nothing more.
    await x.requestor.terminateAgreement(x.agreementId, { message: 'done' });
    let invoice: { invoiceId: string; amount: string } | undefined;
    await until(async () => {
      const res = await t.request.get(`${API}/invoices`).set(as(requestor));
      invoice = (res.body as Array<{ agreementId: string; invoiceId: string; amount: string }>).find(
        (i) => i.agreementId === x.agreementId,
      );
      return invoice !== undefined;
    }, 'the final invoice');
    expect((await accept('invoices', invoice!.invoiceId, invoice!.amount)).status).toBe(200);
    expect(await spent()).toBe('12.5');
    // A note accepted after the invoice books nothing either; the ended activity gets no further note.
    expect((await accept('debitNotes', third, '18.5')).status).toBe(200);
    expect(await spent()).toBe('12.5');
    expect(await debitNotes.sweep(due + 10 * INTERVAL_S * 1000)).not.toContain(debitNoteId(x.activityId, 4));
    const { core } = t.instance;
    expect(await core.redis.zscore(core.keys.activityDebitNotesDue(), x.activityId)).toBeNull();
  });

  it('an invoice beyond the accepted notes books the difference', async () => {
    const x = await activityOn(t);
    const note = debitNoteId(x.activityId, 1);
    expect(await t.instance.services.debitNotes.sweep(x.createdMs + INTERVAL_S * 1000)).toContain(note);
    const allocationId = await allocate(t, x.requestorParty, '100');
    const accept = (kind: string, id: string, amount: string) =>
      t.request
        .post(`${API}/${kind}/${id}/accept`)
        .set(as(x.requestorParty))
        .send({ totalAmountAccepted: amount, allocationId });
    expect((await accept('debitNotes', note, '6.5')).status).toBe(200);
    const invoiceId = await t.instance.services.payment.invoicing.issueFinalInvoice(
      { ...x, requestorId: x.requestorParty.address, providerId: x.providerParty.address, ...terms() },
      { durationSeconds: 1000, cpuSeconds: 2 },
    );
    expect((await accept('invoices', invoiceId, '12.5')).status).toBe(200); // 1000 × 0.01 + 2 × 1 + 0.5
    const allocation = await t.request.get(`${API}/allocations/${allocationId}`).set(as(x.requestorParty));
    expect(allocation.body.spentAmount).toBe('12.5');

    function terms() {
      return {
        offerProperties: PRICED_OFFER.properties,
        demandProperties: DEMAND.properties,
        approvedAtMs: x.createdMs,
        terminatedAtMs: x.createdMs + 1000_000,
      };
    }
  });

  it('a zero-priced activity and a destroyed one get no notes', async () => {
    const free = await activityOn(t, {
      ...PRICED_OFFER,
      properties: { ...PRICED_OFFER.properties, 'golem.com.pricing.model.linear.coeffs': [0, 0, 0] },
    });
    const destroyed = await activityOn(t);
    expect((await activityClient(t, destroyed.requestorParty).destroy(destroyed.activityId)).status).toBe(200);
    const far = Date.now() + 100 * INTERVAL_S * 1000;
    const issued = await t.instance.services.debitNotes.sweep(far);
    expect(issued).not.toContain(debitNoteId(free.activityId, 1));
    expect(issued).not.toContain(debitNoteId(destroyed.activityId, 1));
  });
});

describe('debit notes: two instances sweeping at once', () => {
  let a: TestInstance;
  let b: TestInstance;
  twoInstancesOfOneMarket((first, second) => {
    a = first;
    b = second;
  });

  it('issue each due note once', async () => {
    const x = await activityOn(a);
    const due = x.createdMs + INTERVAL_S * 1000;
    const swept = await Promise.all([a, b, a, b].map((i) => i.instance.services.debitNotes.sweep(due)));
    const mine = swept.flat().filter((id) => id === debitNoteId(x.activityId, 1));
    expect(mine).toHaveLength(1);
    const events = await b.request.get(`${API}/debitNoteEvents?timeout=0`).set(as(x.requestorParty));
    expect(events.body).toHaveLength(1);
  });
  it('accept two notes of one activity at once: the later total is booked, whatever the order', async () => {
    const x = await activityOn(a);
    const due = x.createdMs + INTERVAL_S * 1000;
    const [first, second] = [debitNoteId(x.activityId, 1), debitNoteId(x.activityId, 2)];
    expect(await a.instance.services.debitNotes.sweep(due)).toContain(first);
    expect(await b.instance.services.debitNotes.sweep(due + INTERVAL_S * 1000)).toContain(second);
    const allocationId = await allocate(a, x.requestorParty, '100');
    const accept = (i: TestInstance, id: string, amount: string) =>
      i.request
        .post(`${API}/debitNotes/${id}/accept`)
        .set(as(x.requestorParty))
        .send({ totalAmountAccepted: amount, allocationId });
    const results = await Promise.all([accept(a, second, '12.5'), accept(b, first, '6.5')]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const allocation = await b.request.get(`${API}/allocations/${allocationId}`).set(as(x.requestorParty));
    expect(allocation.body.spentAmount).toBe('12.5');
  });
});

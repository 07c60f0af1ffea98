import { randomBytes } from 'node:crypto';
import type { AgreementTerms } from '../../src/payment/invoicing';
import { newParty, Party } from '../support/identities';
import { startTestInstance, TestInstance, twoInstancesOfOneMarket } from '../support/instance';
import { send, until } from '../support/wait';

const API = '/payment-api/v1';
const as = (p: Party) => ({ Authorization: `Bearer ${p.token}` });

/** Agreement terms between two parties, priced per second of duration, per CPU second and at start. */
function terms(requestor: Party, provider: Party, coeffs: number[], sessions = {}): AgreementTerms {
  return {
    agreementId: randomBytes(32).toString('hex'),
    requestorId: requestor.address,
    providerId: provider.address,
    offerProperties: {
      'golem.com.pricing.model.linear.coeffs': coeffs,
      'golem.com.usage.vector': ['golem.usage.duration_sec', 'golem.usage.cpu_sec'],
      'golem.com.payment.platform.erc20-holesky-tglm.address': provider.address,
    },
    approvedAtMs: Date.now() - 10_000,
    terminatedAtMs: Date.now(),
    ...sessions,
  };
}

async function allocate(t: TestInstance, p: Party, totalAmount: string): Promise<string> {
  const res = await t.request.post(`${API}/allocations`).set(as(p)).send({ totalAmount });
  expect(res.status).toBe(201);
  return res.body.allocationId as string;
}

describe('payment API: invoices and debit notes', () => {
  let t: TestInstance;
  let requestor: Party;
  let provider: Party;
  let stranger: Party;

  beforeAll(async () => {
    t = await startTestInstance();
    [requestor, provider, stranger] = [await newParty(t), await newParty(t), await newParty(t)];
  });
  afterAll(() => t.close());

  const issue = (agreement: AgreementTerms, usage = { durationSeconds: 10, cpuSeconds: 5 }) =>
    t.instance.services.payment.invoicing.issueFinalInvoice(agreement, usage);

  it('a waiting invoiceEvents long-poll returns because the final invoice was issued, priced linearly', async () => {
    const agreement = terms(requestor, provider, [0.1, 0.2, 1]);
    const started = Date.now();
    const poll = t.request.get(`${API}/invoiceEvents?timeout=10`).set(as(requestor));
    const pending = send(poll);
    // Issued only once the poll is registered on the server (its open-poll gauge shows it).
    const { metrics } = t.instance.core;
    await until(async () => (await metrics.openLongPolls.get()).values[0]?.value === 1, 'the poll to be waiting');
    const invoiceId = await issue(agreement);
    const res = await pending;
    expect(Date.now() - started).toBeLessThan(9000);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ eventType: 'InvoiceReceivedEvent', eventDate: expect.any(String), invoiceId }]);
    const invoice = await t.request.get(`${API}/invoices/${invoiceId}`).set(as(requestor));
    expect(invoice.body).toMatchObject({
      invoiceId,
      issuerId: provider.address,
      recipientId: requestor.address,
      payeeAddr: provider.address,
      payerAddr: requestor.address,
      paymentPlatform: 'erc20-holesky-tglm',
      agreementId: agreement.agreementId,
      activityIds: [],
      amount: '3', // 10 s × 0.1 + 5 cpu-s × 0.2 + 1 at start
      status: 'RECEIVED',
    });
    expect((await t.request.get(`${API}/invoices/${invoiceId}`).set(as(provider))).body).toEqual(invoice.body);
    // Issuing again (a retried termination) changes nothing.
    expect(await issue(agreement)).toBe(invoiceId);
    const events = await t.request.get(`${API}/invoiceEvents?timeout=0`).set(as(requestor));
    expect(events.body).toHaveLength(1);
  });

  it('an idle event long-poll blocks for its whole timeout and answers []', async () => {
    const started = Date.now();
    const res = await t.request.get(`${API}/debitNoteEvents?timeout=1`).set(as(stranger));
    expect(res.body).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('accept books the amount on the allocation and tells the provider; repeats and other parties are refused', async () => {
    const invoiceId = await issue(terms(requestor, provider, [0.1, 0.2, 1]));
    const allocationId = await allocate(t, requestor, '5');
    const strangersAllocation = await allocate(t, stranger, '5');
    const accept = (p: Party, body: object) =>
      t.request.post(`${API}/invoices/${invoiceId}/accept`).set(as(p)).send(body);

    expect((await accept(stranger, { totalAmountAccepted: '3', allocationId: strangersAllocation })).status).toBe(404);
    expect((await accept(provider, { totalAmountAccepted: '3', allocationId })).status).toBe(404);
    const wrongAmount = await accept(requestor, { totalAmountAccepted: '2', allocationId });
    expect(wrongAmount.status).toBe(400);
    expect(wrongAmount.body.message).toMatch(/is for 3/);
    expect((await accept(requestor, { totalAmountAccepted: '3', allocationId: strangersAllocation })).status).toBe(400);
    expect((await accept(requestor, { totalAmountAccepted: '3' })).status).toBe(400);
    expect((await accept(requestor, { totalAmountAccepted: 'three', allocationId })).status).toBe(400);

    expect((await accept(requestor, { totalAmountAccepted: '3', allocationId })).status).toBe(200);
    expect((await t.request.get(`${API}/allocations/${allocationId}`).set(as(requestor))).body).toMatchObject({
      spentAmount: '3',
      remainingAmount: '2',
    });
    const seen = await t.request.get(`${API}/invoiceEvents?timeout=0`).set(as(provider));
    expect(seen.body).toEqual([{ eventType: 'InvoiceAcceptedEvent', eventDate: expect.any(String), invoiceId }]);
    expect((await t.request.get(`${API}/invoices/${invoiceId}`).set(as(provider))).body.status).toBe('ACCEPTED');
    // Accepting again is a no-op; rejecting after acceptance is gone.
    expect((await accept(requestor, { totalAmountAccepted: '3', allocationId })).status).toBe(200);
    const reject = await t.request
      .post(`${API}/invoices/${invoiceId}/reject`)
      .set(as(requestor))
      .send({ rejectionReason: 'BAD_SERVICE', totalAmountAccepted: '0' });
    expect(reject.status).toBe(410);
    expect((await t.request.get(`${API}/allocations/${allocationId}`).set(as(requestor))).body.spentAmount).toBe('3');
  });

  it('an allocation too small for the invoice refuses it with 409 and books nothing', async () => {
    const invoiceId = await issue(terms(requestor, provider, [0, 0, 2]));
    const allocationId = await allocate(t, requestor, '1');
    const res = await t.request
      .post(`${API}/invoices/${invoiceId}/accept`)
      .set(as(requestor))
      .send({ totalAmountAccepted: '2', allocationId });
    expect(res.status).toBe(409);
    expect((await t.request.get(`${API}/invoices/${invoiceId}`).set(as(requestor))).body.status).toBe('RECEIVED');
  });

  it("another identity's invoice or debit note is 404; unknown ids are 404; bad bodies are 400", async () => {
    const invoiceId = await issue(terms(requestor, provider, [0, 0, 0]));
    expect((await t.request.get(`${API}/invoices/${invoiceId}`).set(as(stranger))).status).toBe(404);
    expect((await t.request.get(`${API}/invoices`).set(as(stranger))).body).toEqual([]);
    expect((await t.request.get(`${API}/invoices/no-such-invoice`).set(as(requestor))).status).toBe(404);
    expect((await t.request.get(`${API}/debitNotes/no-such-note`).set(as(requestor))).status).toBe(404);
    const badReject = await t.request
      .post(`${API}/invoices/${invoiceId}/reject`)
      .set(as(requestor))
      .send({ rejectionReason: 'NOPE', totalAmountAccepted: '0' });
    expect(badReject.status).toBe(400);
    expect(typeof badReject.body.message).toBe('string');
    expect((await t.request.get(`${API}/invoiceEvents?timeout=-1`).set(as(requestor))).status).toBe(400);
    expect((await t.request.get(`${API}/invoiceEvents?afterTimestamp=yesterday`).set(as(requestor))).status).toBe(400);
    expect((await t.request.get(`${API}/invoices/${invoiceId}`).set(as(requestor))).body.status).toBe('RECEIVED');
  });

  it('debit notes: received by the requestor, rejected, the provider told with the rejection', async () => {
    const id = `dn-${randomBytes(8).toString('hex')}`;
    const issued = await t.instance.services.payment.documents.issue({
      kind: 'debitNote',
      id,
      issuerId: provider.address,
      recipientId: requestor.address,
      payeeAddr: provider.address,
      payerAddr: requestor.address,
      paymentPlatform: 'erc20-holesky-tglm',
      agreementId: randomBytes(32).toString('hex'),
      activityId: 'activity-1',
      amountUnits: 500_000_000,
      paymentDueDate: '',
      requestorSession: '',
      providerSession: '',
      usageCounterVector: JSON.stringify({ 'golem.usage.duration_sec': 5 }),
    });
    expect(issued).toBe(true);
    const note = await t.request.get(`${API}/debitNotes/${id}`).set(as(requestor));
    expect(note.body).toMatchObject({ debitNoteId: id, totalAmountDue: '0.5', activityId: 'activity-1' });
    expect((await t.request.get(`${API}/debitNotes/${id}`).set(as(stranger))).status).toBe(404);
    const events = await t.request.get(`${API}/debitNoteEvents?timeout=0`).set(as(requestor));
    expect(events.body.map((e: { eventType: string }) => e.eventType)).toEqual(['DebitNoteReceivedEvent']);
    const rejection = { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: '0', message: 'too much' };
    const res = await t.request.post(`${API}/debitNotes/${id}/reject`).set(as(requestor)).send(rejection);
    expect(res.status).toBe(200);
    const told = await t.request.get(`${API}/debitNoteEvents?timeout=0`).set(as(provider));
    expect(told.body).toEqual([
      { eventType: 'DebitNoteRejectedEvent', eventDate: expect.any(String), debitNoteId: id, rejection },
    ]);
  });

  it('appSessionId and afterTimestamp select events as on agreementEvents', async () => {
    const party = await newParty(t);
    const first = await issue(terms(party, provider, [0, 0, 0], { requestorSession: 'session-a' }));
    const second = await issue(terms(party, provider, [0, 0, 0], { requestorSession: 'session-b' }));
    const only = (query: string) => t.request.get(`${API}/invoiceEvents?timeout=0&${query}`).set(as(party));
    const a = await only('appSessionId=session-a');
    expect(a.body.map((e: { invoiceId: string }) => e.invoiceId)).toEqual([first]);
    const all = await only('maxEvents=10');
    expect(all.body.map((e: { invoiceId: string }) => e.invoiceId)).toEqual([first, second]);
    const after = await only(`afterTimestamp=${encodeURIComponent(all.body[0].eventDate as string)}`);
    expect(after.body.map((e: { invoiceId: string }) => e.invoiceId)).toEqual([second]);
  });
});

describe('payment API: two instances racing to accept one invoice', () => {
  let a: TestInstance;
  let b: TestInstance;
  twoInstancesOfOneMarket((first, second) => {
    a = first;
    b = second;
  });

  it('books it once: one acceptance, one provider event, the allocation charged once', async () => {
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const invoiceId = await a.instance.services.payment.invoicing.issueFinalInvoice(
      terms(requestor, provider, [0, 0, 1]),
      { durationSeconds: 1, cpuSeconds: 0 },
    );
    const allocationId = await allocate(a, requestor, '10');
    const body = { totalAmountAccepted: '1', allocationId };
    const results = await Promise.all(
      [a, b, a, b].map((i) => i.request.post(`${API}/invoices/${invoiceId}/accept`).set(as(requestor)).send(body)),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await b.request.get(`${API}/allocations/${allocationId}`).set(as(requestor))).body.spentAmount).toBe('1');
    const told = await b.request.get(`${API}/invoiceEvents?timeout=0`).set(as(provider));
    expect(told.body).toHaveLength(1);
  });

  it('of an accept and a reject racing, exactly one wins', async () => {
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const invoiceId = await a.instance.services.payment.invoicing.issueFinalInvoice(
      terms(requestor, provider, [0, 0, 1]),
      { durationSeconds: 1, cpuSeconds: 0 },
    );
    const allocationId = await allocate(a, requestor, '10');
    const [accepted, rejected] = await Promise.all([
      a.request
        .post(`${API}/invoices/${invoiceId}/accept`)
        .set(as(requestor))
        .send({ totalAmountAccepted: '1', allocationId }),
      b.request
        .post(`${API}/invoices/${invoiceId}/reject`)
        .set(as(requestor))
        .send({ rejectionReason: 'BAD_SERVICE', totalAmountAccepted: '0' }),
    ]);
    expect([accepted.status, rejected.status].sort()).toEqual([200, 410]);
    const status = (await a.request.get(`${API}/invoices/${invoiceId}`).set(as(provider))).body.status as string;
    expect(status).toBe(accepted.status === 200 ? 'ACCEPTED' : 'REJECTED');
    const spent = (await a.request.get(`${API}/allocations/${allocationId}`).set(as(requestor))).body.spentAmount;
    expect(spent).toBe(status === 'ACCEPTED' ? '1' : '0');
    expect((await b.request.get(`${API}/invoiceEvents?timeout=0`).set(as(provider))).body).toHaveLength(1);
  });
});

import { Agreement, Allocation, DemandSpecification, GolemNetwork, OfferProposal, Invoice } from '@golem-sdk/golem-js';
import { firstValueFrom, throwError, timeout } from 'rxjs';
import { newParty } from '../support/identities';
import { startTestInstance, TestInstance } from '../support/instance';
import { BuiltInRunner, startBuiltInRunner } from '../support/runner';
import { appKeyParty } from './support';

/** What a Bourse runner needs to know about the job, on top of what golem-js puts in its demand. */
const BOURSE_JOB = [
  { key: 'bourse.job.runtime', value: 'node' },
  { key: 'bourse.job.entrypoint', value: ['node', '$ALGO'] },
  { key: 'bourse.job.algorithm', value: 'console.log("hello from golem-js")' },
  { key: 'bourse.job.maxDuration', value: 60 },
];

const PRICING = { model: 'linear', maxStartPrice: 1, maxCpuPerHourPrice: 10, maxEnvPerHourPrice: 10 } as const;

/**
 * golem-js's market and payment modules, unchanged, against Bourse and its built-in runner: the demand golem-js
 * builds by default (plus the Bourse job properties) finds the runner's offer, negotiates, gets an Approved
 * agreement (announced through golem-js's agreement event reader), and after termination the invoice arrives
 * through the invoice event reader and golem-js accepts it.
 */
/** Runner prices (per second, per CPU second, start) and the invoice amounts they must give. */
const CASES = [
  { price: '0,0,0', amount: (amount: number) => amount === 0, expected: 'exactly 0' },
  // Duration is billed from approval to termination (well under a minute here), CPU seconds count 0.
  {
    price: '0.001,0.002,0.25',
    amount: (amount: number) => amount >= 0.25 && amount < 0.31,
    expected: '0.25 + 0.001/s',
  },
];

describe.each(CASES)('golem-js market with a runner priced $price', ({ price, amount, expected }) => {
  let t: TestInstance;
  let runner: BuiltInRunner;
  let glm: GolemNetwork;
  let allocation: Allocation;
  let demand: DemandSpecification;

  beforeAll(async () => {
    t = await startTestInstance();
    // golem-js demands at least 2 GiB of storage and 0.5 GiB of memory by default: a runner's defaults (2 GiB of
    // disk, 1 GiB of memory; the test support lowers memory, so it is set back here) offer that.
    runner = await startBuiltInRunner(t, { BOURSE_RUNNER_MEMORY: '1gb', BOURSE_RUNNER_PRICE: price });
    const party = await appKeyParty(t);
    glm = new GolemNetwork({ api: { key: party.key, url: t.url } });
    await glm.connect();
    allocation = await glm.payment.createAllocation({ budget: 1, expirationSec: 3600 });
    const built = await glm.market.buildDemandDetails(
      {
        workload: {
          runtime: { name: 'bourse-process' },
          // An image is required by golem-js; Bourse runners ignore it (the job is in bourse.job.*).
          imageUrl: 'http://127.0.0.1/unused.gvmi',
          imageHash: '0'.repeat(56),
        },
      },
      { rentHours: 0.5, pricing: PRICING },
      allocation,
    );
    demand = new DemandSpecification(
      { properties: [...built.prototype.properties, ...BOURSE_JOB], constraints: built.prototype.constraints },
      built.paymentPlatform,
    );
  }, 30_000);
  afterAll(async () => {
    await glm?.disconnect();
    await runner?.stop();
    await t?.close();
  });

  it("every constraint of golem-js's default demand matches the runner's offer on its own (a scan each)", async () => {
    const { constraints } = demand.prototype;
    expect(constraints.length).toBeGreaterThanOrEqual(8);
    const token = (await newParty(t)).token;
    for (const constraint of constraints) {
      const found = await scanProviders(t, token, constraint);
      expect({ constraint, found: found.includes(runner.provider) }).toEqual({ constraint, found: true });
    }
  });

  it(`negotiates, gets an Approved agreement, and accepts the invoice (${expected}) after termination`, async () => {
    const approved = new Promise<Agreement>((resolve) =>
      glm.market.events.on('agreementApproved', ({ agreement }) => resolve(agreement)),
    );
    const proposal: OfferProposal = await firstValueFrom(
      glm.market
        .collectDraftOfferProposals({ demandSpecification: demand, pricing: PRICING })
        .pipe(timeout({ first: 20_000, with: () => throwError(() => new Error('no draft proposal in 20 s')) })),
    );
    expect(proposal.provider.id).toBe(runner.provider);
    expect(proposal.provider.walletAddress).toBe(runner.provider);
    expect(proposal.provider.name).toMatch(/^bourse-runner-/);

    const agreement = await glm.market.proposeAgreement(proposal);
    expect(agreement.getState()).toBe('Approved');
    expect((await approved).id).toBe(agreement.id);

    const payment = glm.payment.createAgreementPaymentProcess(agreement, allocation);
    const accepted = new Promise<{ invoice: Invoice }>((resolve) =>
      glm.payment.events.on('invoiceAccepted', (event) => resolve(event)),
    );
    await glm.market.terminateAgreement(agreement);
    const { invoice } = await accepted;
    expect(invoice.agreementId).toBe(agreement.id);
    expect({ amount: invoice.amount, ok: amount(Number(invoice.amount)) }).toEqual({
      amount: invoice.amount,
      ok: true,
    });
    expect(invoice.getStatus()).toBe('ACCEPTED');
    expect(payment.isFinished()).toBe(true);
    payment.stop();
    // The acceptance was booked on golem-js's allocation.
    expect((await glm.payment.getAllocation(allocation.id)).spentAmount).toBe(invoice.amount);
  }, 40_000);
});

/** Provider ids of the offers one constraint finds through the Market API's scan (waiting up to 5 s for one). */
async function scanProviders(t: TestInstance, token: string, constraint: string): Promise<string[]> {
  const headers = { Authorization: `Bearer ${token}` };
  const begun = await t.request
    .post('/market-api/v1/scan')
    .set(headers)
    .send({ type: 'offer', constraints: constraint });
  expect(begun.status).toBe(201);
  const scanId = begun.body as string;
  const res = await t.request.get(`/market-api/v1/scan/${scanId}/events?timeout=5`).set(headers);
  expect(res.status).toBe(200);
  await t.request.delete(`/market-api/v1/scan/${scanId}`).set(headers);
  return (res.body as { providerId: string }[]).map((offer) => offer.providerId);
}

import { MarketApi } from 'ya-ts-client';
import { newParty, type Party } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';
import { uniqueTag } from '../support/marketClient';
import type { NegotiationEvent, ProposalBody } from '../support/marketEvents';
import { yaClient } from '../support/yaClient';

type ApiError = InstanceType<typeof MarketApi.ApiError>;

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}

/** A ProposalEvent: a negotiation event that carries its proposal. */
type ProposalEvent = NegotiationEvent & { proposal: ProposalBody };

describe('market through the published ya-ts-client (requestor and provider)', () => {
  let t: TestInstance;
  let requestorParty: Party;
  let providerParty: Party;
  let requestor: MarketApi.RequestorService;
  let provider: MarketApi.ProviderService;
  beforeAll(async () => {
    t = await startTestInstance();
    requestorParty = await newParty(t);
    providerParty = await newParty(t);
    requestor = yaClient(t, requestorParty).requestor;
    provider = yaClient(t, providerParty).provider;
  });
  afterAll(() => t.close());

  it('subscribes, collects, counters on both sides, rejects and unsubscribes', async () => {
    const tag = uniqueTag();
    const offerId = await provider.subscribeOffer({
      properties: { 'golem.node.tag': tag, golem: { inf: { 'mem.gib': 8 } } },
      constraints: `(golem.node.tag=${tag})`,
    });
    expect(typeof offerId).toBe('string');
    const demandId = await requestor.subscribeDemand({
      properties: { 'golem.node.tag': tag },
      constraints: '(golem.inf.mem.gib>=4)',
    });
    expect(typeof demandId).toBe('string');
    expect((await provider.getOffers()).map((o) => o.offerId)).toContain(offerId);
    expect((await requestor.getDemands()).map((d) => d.demandId)).toEqual([demandId]);

    const [initial] = (await requestor.collectOffers(demandId as string, 5, 10)) as unknown as ProposalEvent[];
    expect(initial.eventType).toBe('ProposalEvent');
    expect(initial.proposal).toMatchObject({
      state: 'Initial',
      issuerId: providerParty.address,
      properties: { 'golem.inf.mem.gib': 8, 'golem.node.tag': tag },
    });

    const counterId = (await requestor.counterProposalDemand(demandId as string, initial.proposal.proposalId, {
      properties: { 'golem.node.tag': tag, 'golem.com.payment.chosen-platform': 'erc20-holesky-tglm' },
      constraints: '(golem.inf.mem.gib>=4)',
    })) as string;
    expect(counterId).toMatch(/^R-/);
    expect((await requestor.getProposalOffer(demandId as string, counterId)).state).toBe('Draft');

    const [demandEvent] = (await provider.collectDemands(offerId as string, 5, 10)) as unknown as ProposalEvent[];
    expect(demandEvent.proposal.proposalId).toBe(`P-${counterId.slice(2)}`);
    expect((await provider.getProposalDemand(offerId as string, demandEvent.proposal.proposalId)).issuerId).toBe(
      requestorParty.address,
    );

    const providerCounter = (await provider.counterProposalOffer(offerId as string, demandEvent.proposal.proposalId, {
      properties: { 'golem.node.tag': tag, 'golem.inf.mem.gib': 8 },
      constraints: `(golem.node.tag=${tag})`,
    })) as string;
    expect(providerCounter).toMatch(/^P-/);
    const [draft] = (await requestor.collectOffers(demandId as string, 5, 10)) as unknown as ProposalEvent[];
    expect(draft.proposal).toMatchObject({
      proposalId: `R-${providerCounter.slice(2)}`,
      state: 'Draft',
      prevProposalId: counterId,
    });

    await requestor.rejectProposalOffer(demandId as string, draft.proposal.proposalId, { message: 'price too high' });
    const [rejected] = (await provider.collectDemands(offerId as string, 5, 10)) as unknown as NegotiationEvent[];
    expect(rejected).toMatchObject({
      eventType: 'ProposalRejectedEvent',
      proposalId: providerCounter,
      reason: { message: 'price too high' },
    });

    // A second counter of the same proposal is 410, an own proposal 400, through the client's ApiError.
    const second = await failure(
      requestor.counterProposalDemand(demandId as string, initial.proposal.proposalId, {
        properties: { 'golem.node.tag': tag },
        constraints: '()',
      }),
    );
    expect(second.status).toBe(410);
    const own = await failure(provider.rejectProposalDemand(offerId as string, providerCounter, { message: 'x' }));
    expect(own.status).toBe(400);

    await requestor.unsubscribeDemand(demandId as string);
    await provider.unsubscribeOffer(offerId as string);
    expect((await failure(requestor.collectOffers(demandId as string, 0.1, 10))).status).toBe(404);
    expect((await failure(requestor.unsubscribeDemand(demandId as string))).status).toBe(404);
    expect((await failure(provider.unsubscribeOffer(offerId as string))).status).toBe(410);
    expect(await requestor.getDemands()).toEqual([]);
  });

  it('scans offers with constraints (JSON mode) and ends the scan', async () => {
    const tag = uniqueTag();
    await provider.subscribeOffer({ properties: { 'scan.tag': tag, n: 1 }, constraints: '()' });
    await provider.subscribeOffer({ properties: { 'scan.tag': tag, n: 2 }, constraints: '()' });
    const scanId = (await requestor.beginScan({ type: 'offer', constraints: `(&(scan.tag=${tag})(n>1))` })) as string;
    expect(scanId).toMatch(/^\d+$/);
    const offers = await requestor.collectScanResults(scanId, 1, 10);
    expect(offers.map((o) => o.properties.n)).toEqual([2]);
    await requestor.endScan(scanId);
    expect((await failure(requestor.collectScanResults(scanId, 0, 10))).status).toBe(404);
  });
});

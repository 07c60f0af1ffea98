import { MarketApi } from 'ya-ts-client';
import { uniqueTag } from '../support/marketClient';
import type { NegotiationEvent, ProposalBody } from '../support/marketEvents';
import { yaMarket } from '../support/yaClient';

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
  const market = yaMarket();

  it('subscribes, collects, counters on both sides, rejects and unsubscribes', async () => {
    const tag = uniqueTag();
    const offerId = await market.provider.subscribeOffer({
      properties: { 'golem.node.tag': tag, golem: { inf: { 'mem.gib': 8 } } },
      constraints: `(golem.node.tag=${tag})`,
    });
    expect(typeof offerId).toBe('string');
    const demandId = await market.requestor.subscribeDemand({
      properties: { 'golem.node.tag': tag },
      constraints: '(golem.inf.mem.gib>=4)',
    });
    expect(typeof demandId).toBe('string');
    expect((await market.provider.getOffers()).map((o) => o.offerId)).toContain(offerId);
    expect((await market.requestor.getDemands()).map((d) => d.demandId)).toEqual([demandId]);

    const [initial] = (await market.requestor.collectOffers(demandId as string, 5, 10)) as unknown as ProposalEvent[];
    expect(initial.eventType).toBe('ProposalEvent');
    expect(initial.proposal).toMatchObject({
      state: 'Initial',
      issuerId: market.providerParty.address,
      properties: { 'golem.inf.mem.gib': 8, 'golem.node.tag': tag },
    });

    const counterId = (await market.requestor.counterProposalDemand(demandId as string, initial.proposal.proposalId, {
      properties: { 'golem.node.tag': tag, 'golem.com.payment.chosen-platform': 'erc20-holesky-tglm' },
      constraints: '(golem.inf.mem.gib>=4)',
    })) as string;
    expect(counterId).toMatch(/^R-/);
    expect((await market.requestor.getProposalOffer(demandId as string, counterId)).state).toBe('Draft');

    const [demandEvent] = (await market.provider.collectDemands(
      offerId as string,
      5,
      10,
    )) as unknown as ProposalEvent[];
    expect(demandEvent.proposal.proposalId).toBe(`P-${counterId.slice(2)}`);
    expect((await market.provider.getProposalDemand(offerId as string, demandEvent.proposal.proposalId)).issuerId).toBe(
      market.requestorParty.address,
    );

    const providerCounter = (await market.provider.counterProposalOffer(
      offerId as string,
      demandEvent.proposal.proposalId,
      {
        properties: { 'golem.node.tag': tag, 'golem.inf.mem.gib': 8 },
        constraints: `(golem.node.tag=${tag})`,
      },
    )) as string;
    expect(providerCounter).toMatch(/^P-/);
    const [draft] = (await market.requestor.collectOffers(demandId as string, 5, 10)) as unknown as ProposalEvent[];
    expect(draft.proposal).toMatchObject({
      proposalId: `R-${providerCounter.slice(2)}`,
      state: 'Draft',
      prevProposalId: counterId,
    });

    await market.requestor.rejectProposalOffer(demandId as string, draft.proposal.proposalId, {
      message: 'price too high',
    });
    const [rejected] = (await market.provider.collectDemands(
      offerId as string,
      5,
      10,
    )) as unknown as NegotiationEvent[];
    expect(rejected).toMatchObject({
      eventType: 'ProposalRejectedEvent',
      proposalId: providerCounter,
      reason: { message: 'price too high' },
    });

    // A second counter of the same proposal is 410, an own proposal 400, through the client's ApiError.
    const second = await failure(
      market.requestor.counterProposalDemand(demandId as string, initial.proposal.proposalId, {
        properties: { 'golem.node.tag': tag },
        constraints: '()',
      }),
    );
    expect(second.status).toBe(410);
    const own = await failure(
      market.provider.rejectProposalDemand(offerId as string, providerCounter, { message: 'x' }),
    );
    expect(own.status).toBe(400);

    await market.requestor.unsubscribeDemand(demandId as string);
    await market.provider.unsubscribeOffer(offerId as string);
    expect((await failure(market.requestor.collectOffers(demandId as string, 0.1, 10))).status).toBe(404);
    expect((await failure(market.requestor.unsubscribeDemand(demandId as string))).status).toBe(404);
    expect((await failure(market.provider.unsubscribeOffer(offerId as string))).status).toBe(410);
    expect(await market.requestor.getDemands()).toEqual([]);
  });

  it('scans offers with constraints (JSON mode) and ends the scan', async () => {
    const tag = uniqueTag();
    await market.provider.subscribeOffer({ properties: { 'scan.tag': tag, n: 1 }, constraints: '()' });
    await market.provider.subscribeOffer({ properties: { 'scan.tag': tag, n: 2 }, constraints: '()' });
    const scanId = (await market.requestor.beginScan({
      type: 'offer',
      constraints: `(&(scan.tag=${tag})(n>1))`,
    })) as string;
    expect(scanId).toMatch(/^\d+$/);
    const offers = await market.requestor.collectScanResults(scanId, 1, 10);
    expect(offers.map((o) => o.properties.n)).toEqual([2]);
    await market.requestor.endScan(scanId);
    expect((await failure(market.requestor.collectScanResults(scanId, 0, 10))).status).toBe(404);
  });
});

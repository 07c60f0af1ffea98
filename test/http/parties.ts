import { randomBytes } from 'node:crypto';
import type { MarketApi } from 'ya-ts-client';
import { newParty, type Party } from '../support/identities';
import type { TestInstance } from '../support/instance';
import { yaClient } from '../support/yaClient';

const BASE = '/market-api/v1';

type Event = { eventType: string; proposal?: { proposalId: string } };

async function nextProposal(collect: () => Promise<unknown[]>): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = ((await collect()) as Event[]).find((e) => e.eventType === 'ProposalEvent');
    if (found) return found.proposal!.proposalId;
  }
  throw new Error('no ProposalEvent arrived');
}

/** A requestor and a provider who negotiated through the API up to an agreement in state Proposal. */
export interface Deal {
  requestor: Party;
  provider: Party;
  demandId: string;
  offerId: string;
  /** As the requestor sees them: the market's Initial proposal and the provider's Draft. */
  initialId: string;
  draftId: string;
  /** The requestor's counter-proposal, as the provider sees it. */
  counterId: string;
  agreementId: string;
}

/**
 * Negotiates through the real routes (the published client). The demand and offer match only each other: their
 * constraints require a random subnet, so nothing another test party subscribes can match them.
 */
export async function dealViaApi(t: TestInstance): Promise<Deal> {
  const subnet = randomBytes(8).toString('hex');
  const demand = {
    properties: { 'golem.node.debug.subnet': subnet, 'golem.srv.comp.expiration': Date.now() + 3_600_000 },
    constraints: `(&(golem.node.debug.subnet=${subnet})(golem.inf.mem.gib>0.5))`,
  };
  const offer = {
    properties: { 'golem.inf.mem.gib': 2, 'golem.node.debug.subnet': subnet },
    constraints: `(golem.node.debug.subnet=${subnet})`,
  };
  const requestor = await newParty(t);
  const provider = await newParty(t);
  const asRequestor: MarketApi.RequestorService = yaClient(t, requestor).requestor;
  const asProvider: MarketApi.ProviderService = yaClient(t, provider).provider;
  const offerId = (await asProvider.subscribeOffer(offer)) as string;
  const demandId = (await asRequestor.subscribeDemand(demand)) as string;
  const initialId = await nextProposal(() => asRequestor.collectOffers(demandId, 5, 10));
  await asRequestor.counterProposalDemand(demandId, initialId, demand);
  const counterId = await nextProposal(() => asProvider.collectDemands(offerId, 5, 10));
  await asProvider.counterProposalOffer(offerId, counterId, offer);
  const draftId = await nextProposal(() => asRequestor.collectOffers(demandId, 5, 10));
  const validTo = new Date(Date.now() + 3_600_000).toISOString();
  const created = await t.request
    .post(`${BASE}/agreements`)
    .set('Authorization', `Bearer ${requestor.token}`)
    .send({ proposalId: draftId, validTo });
  if (created.status !== 200) throw new Error(`createAgreement: ${created.status} ${created.text}`);
  return { requestor, provider, demandId, offerId, initialId, draftId, counterId, agreementId: created.body };
}

/**
 * Everything the API shows the two parties of a deal about their own objects, read without side effects:
 * subscriptions, the proposals they know, the agreement, agreement events and compute jobs.
 */
export async function snapshot(t: TestInstance, deal: Deal): Promise<unknown> {
  const get = async (party: Party, path: string): Promise<unknown> => {
    const res = await t.request.get(path).set('Authorization', `Bearer ${party.token}`);
    return { status: res.status, body: res.body };
  };
  const { requestor, provider } = deal;
  return {
    demands: await get(requestor, `${BASE}/demands`),
    offers: await get(provider, `${BASE}/offers`),
    initial: await get(requestor, `${BASE}/demands/${deal.demandId}/proposals/${deal.initialId}`),
    draft: await get(requestor, `${BASE}/demands/${deal.demandId}/proposals/${deal.draftId}`),
    counter: await get(provider, `${BASE}/offers/${deal.offerId}/proposals/${deal.counterId}`),
    agreement: await get(requestor, `${BASE}/agreements/${deal.agreementId}`),
    agreements: [await get(requestor, `${BASE}/agreements`), await get(provider, `${BASE}/agreements`)],
    agreementEvents: [
      await get(requestor, `${BASE}/agreementEvents?timeout=0&maxEvents=100`),
      await get(provider, `${BASE}/agreementEvents?timeout=0&maxEvents=100`),
    ],
    jobs: [await get(requestor, '/api/services/compute'), await get(provider, '/api/services/compute')],
  };
}

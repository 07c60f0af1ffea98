import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { marketClient, uniqueTag, type MarketClient } from '../../support/marketClient';

describe('market: matching and negotiation', () => {
  let t: TestInstance;
  let requestor: MarketClient;
  let provider: MarketClient;
  beforeAll(async () => {
    t = await startTestInstance();
    requestor = marketClient(t, await newParty(t));
    provider = marketClient(t, await newParty(t));
  });
  afterAll(() => t.close());

  /** A matching offer/demand pair and the demand's Initial proposal. */
  async function negotiation() {
    const tag = uniqueTag();
    const offerId = await provider.subscribeOffer(
      { golem: { tag, 'inf.mem.gib': 4 } },
      `(&(golem.tag=${tag})(golem.want=*))`,
    );
    const demandId = await requestor.subscribeDemand(
      { 'golem.want': 'yes', 'golem.tag': tag },
      `(golem.inf.mem.gib>=2)`,
    );
    const [event] = await requestor.collectOffers(demandId);
    return { tag, offerId, demandId, initial: event.proposal! };
  }

  it('queues one Initial proposal (the offer, flat and sorted, R- id) on a matching demand', async () => {
    const { offerId, initial } = await negotiation();
    expect(initial.proposalId).toMatch(/^R-[0-9a-f]{64}$/);
    expect(initial.state).toBe('Initial');
    expect(initial.issuerId).toBe(provider.party.address);
    expect(Object.keys(initial.properties)).toEqual(['golem.inf.mem.gib', 'golem.tag']);
    expect(initial.prevProposalId).toBeUndefined();
    const offers = await provider.get('/offers');
    expect(offers.body.map((o: { offerId: string }) => o.offerId)).toContain(offerId);
  });

  it('runs a counter-proposal chain on both sides with per-viewer ids over one record', async () => {
    const { offerId, demandId, initial } = await negotiation();
    const counter = await requestor.post(`/demands/${demandId}/proposals/${initial.proposalId}`, {
      properties: { 'golem.want': 'yes', 'golem.tag': initial.properties['golem.tag'], extra: 1 },
      constraints: '(golem.inf.mem.gib>=2)',
    });
    expect(counter.status).toBe(200);
    expect(counter.headers['content-type']).toMatch(/application\/json/);
    expect(counter.body).toMatch(/^R-[0-9a-f]{64}$/);

    const [seen] = await provider.collectDemands(offerId);
    expect(seen.eventType).toBe('ProposalEvent');
    expect(seen.proposal!.proposalId).toBe(`P-${counter.body.slice(2)}`);
    expect(seen.proposal!.prevProposalId).toBe(`P-${initial.proposalId.slice(2)}`);
    expect(seen.proposal!.issuerId).toBe(requestor.party.address);
    // The provider can now read the Initial proposal it was countered on.
    expect((await provider.get(`/offers/${offerId}/proposals/${seen.proposal!.prevProposalId}`)).status).toBe(200);

    const reply = await provider.post(`/offers/${offerId}/proposals/${seen.proposal!.proposalId}`, {
      properties: { golem: { tag: initial.properties['golem.tag'], 'inf.mem.gib': 4 } },
      constraints: `(&(golem.tag=${initial.properties['golem.tag']})(golem.want=*))`,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^P-/);
    const [draft] = await requestor.collectOffers(demandId);
    expect(draft.proposal).toMatchObject({
      proposalId: `R-${reply.body.slice(2)}`,
      state: 'Draft',
      prevProposalId: counter.body,
    });
  });

  it('refuses reacting to an own proposal (400) and a second counter (410)', async () => {
    const { demandId, initial } = await negotiation();
    const body = {
      properties: { 'golem.want': 'yes', 'golem.tag': initial.properties['golem.tag'] },
      constraints: '(golem.inf.mem.gib>=2)',
    };
    const first = await requestor.post(`/demands/${demandId}/proposals/${initial.proposalId}`, body);
    expect(first.status).toBe(200);
    const own = await requestor.post(`/demands/${demandId}/proposals/${first.body}`, body);
    expect(own.status).toBe(400);
    expect(own.body.message).toBe(`Can't react to own Proposal [${first.body}].`);
    const ownReject = await requestor.post(`/demands/${demandId}/proposals/${first.body}/reject`, { message: 'no' });
    expect(ownReject.status).toBe(400);
    const second = await requestor.post(`/demands/${demandId}/proposals/${initial.proposalId}`, body);
    expect(second.status).toBe(410);
    expect(second.body.message).toContain('already has counter proposal');
  });

  it('refuses a counter-proposal that does not strongly match what it answers (400), changing nothing', async () => {
    const { demandId, initial } = await negotiation();
    const mismatch = await requestor.post(`/demands/${demandId}/proposals/${initial.proposalId}`, {
      properties: { 'golem.tag': initial.properties['golem.tag'] }, // no golem.want: the offer's constraint is FALSE/undefined
      constraints: '(golem.inf.mem.gib>=2)',
    });
    expect(mismatch.status).toBe(400);
    const after = await requestor.get(`/demands/${demandId}/proposals/${initial.proposalId}`);
    expect(after.body.state).toBe('Initial');
    // ... and the proposal can still be countered properly.
    const ok = await requestor.post(`/demands/${demandId}/proposals/${initial.proposalId}`, {
      properties: { 'golem.want': 'y', 'golem.tag': initial.properties['golem.tag'] },
      constraints: '(golem.inf.mem.gib>=2)',
    });
    expect(ok.status).toBe(200);
  });

  it(
    'rejects with a reason: the issuer gets ProposalRejectedEvent with its own id and the reason; the ' +
      'rejecter may restart',
    async () => {
      const { offerId, demandId, initial } = await negotiation();
      const tag = initial.properties['golem.tag'];
      const counter = await requestor.post(`/demands/${demandId}/proposals/${initial.proposalId}`, {
        properties: { 'golem.want': 'y', 'golem.tag': tag },
        constraints: '(golem.inf.mem.gib>=2)',
      });
      const [seen] = await provider.collectDemands(offerId);
      const reject = await provider.post(`/offers/${offerId}/proposals/${seen.proposal!.proposalId}/reject`, {
        message: 'too cheap',
        'golem.proposal.rejection.is-final': false,
      });
      expect(reject.status).toBe(204);
      const [rejected] = await requestor.collectOffers(demandId);
      expect(rejected).toEqual({
        eventType: 'ProposalRejectedEvent',
        eventDate: expect.any(String),
        proposalId: counter.body,
        reason: { message: 'too cheap', 'golem.proposal.rejection.is-final': false },
        eventId: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      expect((await requestor.get(`/demands/${demandId}/proposals/${counter.body}`)).body.state).toBe('Rejected');
      // The issuer cannot counter its rejected proposal; the rejecting provider can (restart), which restores it to
      // Draft.
      const byIssuer = await requestor.post(`/demands/${demandId}/proposals/${counter.body}`, {
        properties: { 'golem.want': 'y', 'golem.tag': tag },
        constraints: '()',
      });
      expect(byIssuer.status).toBe(400);
      const restart = await provider.post(`/offers/${offerId}/proposals/${seen.proposal!.proposalId}`, {
        properties: { golem: { tag, 'inf.mem.gib': 4 } },
        constraints: `(golem.want=*)`,
      });
      expect(restart.status).toBe(200);
      expect((await requestor.get(`/demands/${demandId}/proposals/${counter.body}`)).body.state).toBe('Draft');
    },
  );

  it('rejecting an Initial proposal tells the provider nothing; reject with no body or null works', async () => {
    const { offerId, demandId, initial } = await negotiation();
    expect((await requestor.post(`/demands/${demandId}/proposals/${initial.proposalId}/reject`)).status).toBe(204);
    expect(
      (
        await requestor
          .post(`/demands/${demandId}/proposals/${initial.proposalId}/reject`)
          .set('Content-Type', 'application/json')
          .send('null')
      ).status,
    ).toBe(204);
    expect((await requestor.get(`/demands/${demandId}/proposals/${initial.proposalId}`)).body.state).toBe('Rejected');
    const none = await provider.get(`/offers/${offerId}/events?timeout=0.2`);
    expect(none.body).toEqual([]);
    // The provider cannot see the Initial proposal at all.
    expect((await provider.get(`/offers/${offerId}/proposals/P-${initial.proposalId.slice(2)}`)).status).toBe(404);
  });

  it('never matches a demand and an offer of the same identity', async () => {
    const tag = uniqueTag();
    const me = requestor;
    await me.subscribeOffer({ tag }, `(tag=${tag})`);
    const demandId = await me.subscribeDemand({ tag }, `(tag=${tag})`);
    const res = await me.get(`/demands/${demandId}/events?timeout=0.5`);
    expect(res.body).toEqual([]);
  });

  it('drops two concurrent collects of the same events into disjoint sets', async () => {
    const tag = uniqueTag();
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const providers = await Promise.all(Array.from({ length: 6 }, async () => marketClient(t, await newParty(t))));
    await Promise.all(providers.map((p) => p.subscribeOffer({ tag }, `(tag=${tag})`)));
    const seen: string[] = [];
    while (seen.length < 6) {
      const batches = await Promise.all(
        [0, 1].map(() => requestor.get(`/demands/${demandId}/events?timeout=2&maxEvents=2`)),
      );
      const ids = batches.flatMap((b) =>
        (b.body as Array<{ proposal: { proposalId: string } }>).map((e) => e.proposal.proposalId),
      );
      if (ids.length === 0) break;
      seen.push(...ids);
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });
});

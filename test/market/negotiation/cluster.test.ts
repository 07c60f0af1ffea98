import { newParty } from '../../support/identities';
import { twoInstancesOfOneMarket, type TestInstance } from '../../support/instance';
import { marketClient, uniqueTag } from '../../support/marketClient';
import type { NegotiationEvent } from '../../support/marketEvents';
import { until } from '../../support/wait';

describe('market across two API instances on one Redis', () => {
  let a: TestInstance;
  let b: TestInstance;
  twoInstancesOfOneMarket((first, second) => {
    [a, b] = [first, second];
  });

  it('an offer on A and a demand on B produce exactly one Initial proposal', async () => {
    const tag = uniqueTag();
    const provider = marketClient(a, await newParty(a));
    const requestor = marketClient(b, await newParty(b));
    await provider.subscribeOffer({ tag }, `(tag=${tag})`);
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const [event] = await requestor.collectOffers(demandId);
    expect(event.proposal!.state).toBe('Initial');
    // Both instances matched the pair; nothing else arrives.
    expect((await requestor.get(`/demands/${demandId}/events?timeout=0.5`)).body).toEqual([]);
  });

  it('a collectOffers waiting on A returns within 100 ms of a counter-proposal made on B', async () => {
    const tag = uniqueTag();
    const partyR = await newParty(a);
    const partyP = await newParty(a);
    const requestorA = marketClient(a, partyR);
    const providerB = marketClient(b, partyP);
    const offerId = await providerB.subscribeOffer({ tag }, `(tag=${tag})`);
    const demandId = await requestorA.subscribeDemand({ tag }, `(tag=${tag})`);
    const [initial] = await requestorA.collectOffers(demandId);
    const counter = await requestorA.post(`/demands/${demandId}/proposals/${initial.proposal!.proposalId}`, {
      properties: { tag },
      constraints: `(tag=${tag})`,
    });
    const [seen] = await providerB.collectDemands(offerId);

    const started = Date.now();
    let returnedAt = 0;
    const waiting = requestorA.get(`/demands/${demandId}/events?timeout=10`).then((res) => {
      returnedAt = Date.now();
      return res;
    });
    // Counter only once the poll is really waiting on A (registered for wake-ups), so the wake-up path is what is
    // measured.
    await until(() => a.instance.core.waiter.refCount(a.instance.core.keys.negotiationEvents(demandId)) > 0);
    const reply = await providerB.post(`/offers/${offerId}/proposals/${seen.proposal!.proposalId}`, {
      properties: { tag },
      constraints: `(tag=${tag})`,
    });
    const counteredAt = Date.now();
    expect(reply.status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect((res.body as NegotiationEvent[])[0].proposal!.proposalId).toBe(`R-${(reply.body as string).slice(2)}`);
    expect((res.body as NegotiationEvent[])[0].proposal!.prevProposalId).toBe(counter.body);
    expect(returnedAt - counteredAt).toBeLessThan(100);
    expect(returnedAt - started).toBeLessThan(5000);
  });

  it(
    '50 offers and 50 demands subscribed concurrently across both instances yield exactly 2,500 Initial' + ' proposals',
    async () => {
      const tag = uniqueTag();
      const instances = [a, b];
      const parties = await Promise.all(Array.from({ length: 100 }, () => newParty(a)));
      const markets = parties.map((party, i) => marketClient(instances[i % 2], party));
      const subscriptions = await Promise.all(
        markets.map((m, i) =>
          i < 50 ? m.subscribeOffer({ tag, n: i }, `(tag=${tag})`) : m.subscribeDemand({ tag, n: i }, `(tag=${tag})`),
        ),
      );
      const demandIds = subscriptions.slice(50);
      const perDemand = await Promise.all(demandIds.map((id, i) => markets[50 + i].collectOffers(id, 50, 20)));
      const all = perDemand.flat().map((e) => e.proposal!.proposalId);
      expect(all).toHaveLength(2500);
      expect(new Set(all).size).toBe(2500);
      for (const events of perDemand) {
        expect(new Set(events.map((e) => e.proposal!.issuerId)).size).toBe(50);
      }
      // No duplicate arrives late.
      const late = await Promise.all(
        demandIds.map((id, i) => markets[50 + i].get(`/demands/${id}/events?timeout=0.3`)),
      );
      expect(late.flatMap((r) => r.body as NegotiationEvent[])).toEqual([]);
    },
  );

  /** One requestor reachable through both instances, a provider on B, and the Initial proposal of their pair. */
  async function initialOnBothInstances() {
    const tag = uniqueTag();
    const requestor = await newParty(a);
    const onA = marketClient(a, requestor);
    const onB = marketClient(b, requestor);
    const provider = marketClient(b, await newParty(b));
    const offerId = await provider.subscribeOffer({ tag }, `(tag=${tag})`);
    const demandId = await onA.subscribeDemand({ tag }, `(tag=${tag})`);
    const [initial] = await onA.collectOffers(demandId);
    return { tag, onA, onB, provider, offerId, demandId, initial };
  }

  it('two counters of one proposal racing on two instances: exactly one wins, one event is queued', async () => {
    const { tag, onA, onB, provider, offerId, demandId, initial } = await initialOnBothInstances();
    const body = { properties: { tag }, constraints: `(tag=${tag})` };
    const results = await Promise.all(
      [onA, onB].map((m) => m.post(`/demands/${demandId}/proposals/${initial.proposal!.proposalId}`, body)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 410]);
    const events = await provider.collectDemands(offerId);
    expect(events).toHaveLength(1);
    expect((await provider.get(`/offers/${offerId}/events?timeout=0.3`)).body).toEqual([]);
  });

  it('counter and reject of one proposal racing on two instances leave a state one serial order explains', async () => {
    const { tag, onA, onB, provider, offerId, demandId, initial } = await initialOnBothInstances();
    const pid = initial.proposal!.proposalId;
    const [counter, reject] = await Promise.all([
      onA.post(`/demands/${demandId}/proposals/${pid}`, { properties: { tag }, constraints: `(tag=${tag})` }),
      onB.post(`/demands/${demandId}/proposals/${pid}/reject`, { message: 'race' }),
    ]);
    // yagna semantics: both are legal in either order (reject does not check for a counter; the rejecting side may
    // restart).
    expect(counter.status).toBe(200);
    expect(reject.status).toBe(204);
    const state = (await onA.get(`/demands/${demandId}/proposals/${pid}`)).body.state as string;
    const providerEvents = await provider.collectDemands(offerId, 1);
    const more = (await provider.get(`/offers/${offerId}/events?timeout=0.3`)).body as NegotiationEvent[];
    const types = [...providerEvents, ...more].map((e) => e.eventType).sort();
    if (state === 'Rejected') {
      // counter, then reject: the provider saw the Initial proposal (through the counter), so it is told of the
      // rejection.
      expect(types).toEqual(['ProposalEvent', 'ProposalRejectedEvent']);
    } else {
      // reject (requestor-only, Initial), then the counter restored it.
      expect(state).toBe('Initial');
      expect(types).toEqual(['ProposalEvent']);
    }
  });
});

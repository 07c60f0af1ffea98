import type { MarketServices } from '../../../src/market';
import { newParty } from '../../support/identities';
import type { NegotiationEvent } from '../../support/marketEvents';
import { startTestInstance, testPrefix, type TestInstance } from '../../support/instance';
import { MARKET_BASE, marketClient } from '../../support/marketClient';

function marketService(t: TestInstance): MarketServices {
  return t.instance.services.market;
}

/**
 * Pairs subscribed while no instance was matching (all crashed or stopped) are matched by the next instance to start.
 */
describe('market restart', () => {
  const prefix = testPrefix();
  const started: TestInstance[] = [];
  afterAll(async () => {
    for (const t of started) await t.close();
  });

  it('matches subscriptions written after the last matched stream position', async () => {
    const a = await startTestInstance({ prefix });
    started.push(a);
    const provider = await newParty(a);
    const requestor = await newParty(a);
    const { redis, keys } = a.instance.core;

    // A matches something, then stops matching (leaving the market with no matcher at all).
    await marketClient(a, provider).subscribeOffer({ warmup: true });
    await marketService(a).matcher.stop();
    expect(await redis.zcard(keys.matcherMembers())).toBe(0);

    // Subscribed while nobody matches.
    await marketClient(a, provider).subscribeOffer({ kind: 'late' });
    const demandId = await marketClient(a, requestor).subscribeDemand({}, '(kind=late)');

    // A fresh instance picks up from the matched position and produces the Initial proposal.
    const b = await startTestInstance({ prefix });
    started.push(b);
    const res = await b.request
      .get(`${MARKET_BASE}/demands/${demandId}/events?timeout=5`)
      .set('Authorization', `Bearer ${requestor.token}`);
    expect(res.status).toBe(200);
    expect((res.body as NegotiationEvent[]).map((e) => e.eventType)).toEqual(['ProposalEvent']);
    expect(res.body[0].proposal.properties).toEqual({ kind: 'late' });
  });
});

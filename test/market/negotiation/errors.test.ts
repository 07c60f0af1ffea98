import { NotFound } from '../../../src/kernel/errors';
import { parseProposalId } from '../../../src/market/ids';
import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { marketClient, uniqueTag, type MarketClient } from '../../support/marketClient';

/** The counter/reject error table (yagna's answers), row by row. */
describe('market: counter/reject error rows', () => {
  let t: TestInstance;
  let short: TestInstance; // subscriptions live 1 s
  beforeAll(async () => {
    [t, short] = await Promise.all([
      startTestInstance(),
      startTestInstance({ env: { BOURSE_SUBSCRIPTION_TTL_SECONDS: '1' } }),
    ]);
  });
  afterAll(() => Promise.all([t.close(), short.close()]));

  async function pair(on: TestInstance = t) {
    const tag = uniqueTag();
    const requestor = marketClient(on, await newParty(on));
    const provider = marketClient(on, await newParty(on));
    const offerId = await provider.subscribeOffer({ tag }, `(tag=${tag})`);
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const [initial] = await requestor.collectOffers(demandId);
    const pid = initial.proposal!.proposalId;
    const body = { properties: { tag }, constraints: `(tag=${tag})` };
    return { tag, requestor, provider, offerId, demandId, pid, body };
  }

  const counter = (m: MarketClient, demandId: string, pid: string, body: object) =>
    m.post(`/demands/${demandId}/proposals/${pid}`, body);
  const reject = (m: MarketClient, demandId: string, pid: string) =>
    m.post(`/demands/${demandId}/proposals/${pid}/reject`, { message: 'no' });

  it('unknown proposal, or one of another subscription: 404 on counter and on reject', async () => {
    const { requestor, demandId, pid, body, tag } = await pair();
    const unknown = `R-${'ab'.repeat(32)}`;
    const c = await counter(requestor, demandId, unknown, body);
    expect(c.status).toBe(404);
    expect(c.body.message).toBe(`Proposal [${unknown}] not found (subscription [${demandId}]).`);
    expect((await reject(requestor, demandId, unknown)).status).toBe(404);
    const otherDemand = await requestor.subscribeDemand({ tag: `${tag}x` }, '()');
    expect((await counter(requestor, otherDemand, pid, body)).status).toBe(404);
    expect((await reject(requestor, otherDemand, pid)).status).toBe(404);
    // The other side's prefix names the same record but not the caller's view of it.
    expect((await counter(requestor, demandId, `P-${pid.slice(2)}`, body)).status).toBe(404);
  });

  it('own proposal: 400 on counter and reject', async () => {
    const { requestor, demandId, pid, body } = await pair();
    const mine = (await counter(requestor, demandId, pid, body)).body as string;
    const c = await counter(requestor, demandId, mine, body);
    expect(c.status).toBe(400);
    expect(c.body.message).toBe(`Can't react to own Proposal [${mine}].`);
    expect((await reject(requestor, demandId, mine)).status).toBe(400);
  });

  it('already countered: 410 on a second counter; a repeated reject is 204 again', async () => {
    const { requestor, demandId, pid, body } = await pair();
    expect((await counter(requestor, demandId, pid, body)).status).toBe(200);
    const again = await counter(requestor, demandId, pid, body);
    expect(again.status).toBe(410);
    expect(again.body.message).toBe(
      `Proposal [${pid}] already has counter proposal. Can't counter for the second time.`,
    );
    expect((await reject(requestor, demandId, pid)).status).toBe(204);
    expect((await reject(requestor, demandId, pid)).status).toBe(204);
  });

  it('offer unsubscribed: 400 on counter and reject', async () => {
    const { requestor, provider, offerId, demandId, pid, body } = await pair();
    expect((await provider.del(`/offers/${offerId}`)).status).toBe(204);
    const c = await counter(requestor, demandId, pid, body);
    expect(c.status).toBe(400);
    expect(c.body.message).toBe(`Subscription [${offerId}] was already unsubscribed.`);
    expect((await reject(requestor, demandId, pid)).status).toBe(400);
  });

  it('demand not found (never existed, or unsubscribed): 400', async () => {
    const { requestor, demandId, pid, body } = await pair();
    const ghost = `${'0'.repeat(32)}-${'1'.repeat(64)}`;
    const c = await counter(requestor, ghost, pid, body);
    expect(c.status).toBe(400);
    expect(c.body.message).toBe(`Subscription [${ghost}] wasn't found.`);
    expect((await requestor.del(`/demands/${demandId}`)).status).toBe(204);
    const after = await counter(requestor, demandId, pid, body);
    expect(after.status).toBe(400);
    expect(after.body.message).toBe(`Subscription [${demandId}] wasn't found.`);
    expect((await reject(requestor, demandId, pid)).status).toBe(400);
  });

  it('offer expired: 410 on counter, 400 on reject', async () => {
    const { requestor, offerId, demandId, pid, body } = await pair(short);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the subscriptions' 1 s lifetime must pass
    const c = await counter(requestor, demandId, pid, body);
    expect(c.status).toBe(410);
    expect(c.body.message).toBe(`Subscription [${offerId}] expired.`);
    expect((await reject(requestor, demandId, pid)).status).toBe(400);
  });

  it(
    'a counter-proposal that does not strongly match (No or Undefined), or whose constraints do not ' + 'parse: 400',
    async () => {
      const { requestor, demandId, pid, tag } = await pair();
      const no = await counter(requestor, demandId, pid, { properties: { tag: 'other' }, constraints: `(tag=${tag})` });
      expect(no.status).toBe(400);
      expect(no.body.message).toMatch(/doesn't match|don't match/);
      const undef = await counter(requestor, demandId, pid, {
        properties: { tag },
        constraints: `(&(tag=${tag})(absent=1))`,
      });
      expect(undef.status).toBe(400);
      const unparsable = await counter(requestor, demandId, pid, { properties: { tag }, constraints: '(tag=' });
      expect(unparsable.status).toBe(400);
      expect(unparsable.body.message).toMatch(/position/);
      // None of them counted as the counter-proposal.
      expect(
        (await counter(requestor, demandId, pid, { properties: { tag }, constraints: `(tag=${tag})` })).status,
      ).toBe(200);
    },
  );

  it('a caller who is not a party: 404 for everything, and nothing changes', async () => {
    const { requestor, demandId, pid, body } = await pair();
    const stranger = marketClient(t, await newParty(t));
    expect((await counter(stranger, demandId, pid, body)).status).toBe(404);
    expect((await reject(stranger, demandId, pid)).status).toBe(404);
    expect((await stranger.get(`/demands/${demandId}/proposals/${pid}`)).status).toBe(404);
    expect((await stranger.get(`/demands/${demandId}/events?timeout=0`)).status).toBe(404);
    expect((await stranger.del(`/demands/${demandId}`)).status).toBe(404);
    const state = await requestor.get(`/demands/${demandId}/proposals/${pid}`);
    expect(state.body.state).toBe('Initial');
    expect((await requestor.get('/demands')).body.map((d: { demandId: string }) => d.demandId)).toContain(demandId);
    expect((await counter(requestor, demandId, pid, body)).status).toBe(200);
  });

  it("a stranger's body is not even read: a counter too deep to flatten is 404, never a 500", async () => {
    const { requestor, demandId, pid } = await pair();
    const stranger = await newParty(t);
    const deep = nested(20_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError); // what flattening it first would have hit
    const { negotiation } = t.instance.services.market;
    const counterCall = negotiation.counter('demand', demandId, parseProposalId(pid), stranger.address, {
      properties: deep,
      constraints: '()',
    });
    await expect(counterCall).rejects.toBeInstanceOf(NotFound);
    const rejectCall = negotiation.reject('demand', demandId, parseProposalId(pid), stranger.address, {
      message: 'no',
      deep,
    });
    await expect(rejectCall).rejects.toBeInstanceOf(NotFound);
    expect((await requestor.get(`/demands/${demandId}/proposals/${pid}`)).body.state).toBe('Initial');
  });
});

/** An object nested `depth` levels deep, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let level = root;
  for (let i = 0; i < depth; i++) {
    const next: Record<string, unknown> = {};
    level.a = next;
    level = next;
  }
  return root;
}

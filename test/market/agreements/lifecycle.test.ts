import { startTestInstance, type TestInstance } from '../../support/instance';
import { agreement, API_DEMAND, client, negotiateViaApi, nextNegotiationEvent } from './fixtures';

/** Listing and its filters, lazy expiry on read, and negotiation after an agreement ends. */

let t: TestInstance;
beforeAll(async () => {
  t = await startTestInstance();
});
afterAll(() => t.close());

it('expires a handshake past validTo on the first read, atomically, with no event', async () => {
  const x = await agreement(t, new Date(Date.now() - 1000).toISOString());
  const { redis, keys } = t.instance.core;
  expect(await redis.hget(keys.agreement(x.id), 'state')).toBe('Proposal');
  expect((await x.requestor.get(x.id)).body.state).toBe('Expired');
  expect(await redis.hget(keys.agreement(x.id), 'state')).toBe('Expired');
  expect(await redis.zscore(keys.expiringAgreements(), x.id)).toBeNull();
  expect((await x.requestor.events()).body).toEqual([]);
  // The provider never saw it (never confirmed).
  expect((await x.provider.get(x.id)).status).toBe(404);
  expect((await x.provider.list()).body).toEqual([]);
});

it("lists by state, creation dates and the caller's own session, with approvedDate null until approved", async () => {
  const first = await agreement(t);
  const parties = { requestor: first.n.requestor, provider: first.n.provider };
  const between = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5)); // distinct creation milliseconds for the date filters
  const second = await agreement(t, undefined, parties);
  expect((await first.requestor.confirm(first.id, 'r1')).status).toBe(204);
  expect((await first.provider.approve(first.id, 'p1')).status).toBe(204);
  const ids = async (query: Record<string, string>, who = first.requestor) =>
    ((await who.list(query)).body as Array<{ id: string }>).map((e) => e.id);

  const all = (await first.requestor.list()).body as Array<{ id: string; approvedDate: string | null; role: string }>;
  expect(all.map((e) => e.id)).toEqual([first.id, second.id]);
  expect(all[0].approvedDate).toEqual(expect.any(String));
  expect(all[1]).toMatchObject({ approvedDate: null, role: 'Requestor' });
  expect(await ids({ state: 'Approved' })).toEqual([first.id]);
  expect(await ids({ state: 'Proposal' })).toEqual([second.id]);
  expect(await ids({ afterDate: between })).toEqual([second.id]);
  expect(await ids({ beforeDate: between })).toEqual([first.id]);
  expect(await ids({ appSessionId: 'r1' })).toEqual([first.id]);
  expect(await ids({ appSessionId: 'p1' })).toEqual([]);
  // The provider sees only what was confirmed to it, in its role, by its session.
  expect(((await first.provider.list()).body as Array<{ role: string }>).map((e) => e.role)).toEqual(['Provider']);
  expect(await ids({ appSessionId: 'p1' }, first.provider)).toEqual([first.id]);
});

it('lets the requestor counter the Accepted proposal again once the agreement is rejected, not before', async () => {
  const n = await negotiateViaApi(t);
  const agreementId = (await n.requestor.createAgreement({
    proposalId: n.draftId,
    validTo: new Date(Date.now() + 60_000).toISOString(),
  })) as string;
  await n.requestor.confirmAgreement(agreementId);
  await expect(n.requestor.counterProposalDemand(n.demandId, n.draftId, API_DEMAND)).rejects.toMatchObject({
    status: 410,
  });
  await n.provider.rejectAgreement(agreementId, { message: 'busy' });
  const again = (await n.requestor.counterProposalDemand(n.demandId, n.draftId, API_DEMAND)) as string;
  expect(again).toMatch(/^R-[0-9a-f]{64}$/);
  const seen = await nextNegotiationEvent(() => n.provider.collectDemands(n.offerId, 5, 10), 'ProposalEvent');
  expect(seen.proposal?.proposalId).toBe(again.replace(/^R-/, 'P-'));
  // And the rejected agreement stays what it was.
  expect((await client(t, n.requestorParty).get(agreementId)).body.state).toBe('Rejected');
});

import { decodeHandoff, HANDOFF_FIELDS } from '../../src/market/agreements/handoff';
import { AGREEMENT_FIELDS } from '../../src/market/agreements/record';
import { PROPOSAL_FIELDS } from '../../src/market/negotiation/proposal';
import { SUBSCRIPTION_FIELDS } from '../../src/market/subscriptions/record';
import { startTestInstance, type TestInstance } from '../support/instance';
import { marketClient } from '../support/marketClient';
import { negotiateViaApi } from './agreements/fixtures';

/**
 * Every record the Lua scripts write has exactly the fields its codec declares (the codec is the one source of the
 * field list), and an approval hands compute exactly the versioned entry of handoff.ts.
 */
describe('market records and the hand-off', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  const fieldsOf = async (key: string): Promise<string[]> => (await t.instance.core.redis.hkeys(key)).sort();
  const sorted = (names: readonly string[]): string[] => [...names].sort();

  it('records carry exactly their codec fields; approve hands compute one versioned entry, as computeView', async () => {
    const { keys, redis } = t.instance.core;
    const n = await negotiateViaApi(t);
    expect(await fieldsOf(keys.subscription(n.demandId))).toEqual(sorted(SUBSCRIPTION_FIELDS));
    expect(await fieldsOf(keys.subscription(n.offerId))).toEqual(sorted(SUBSCRIPTION_FIELDS));
    expect(await fieldsOf(keys.proposal(n.initialId.slice(2)))).toEqual(sorted(PROPOSAL_FIELDS));
    expect(await fieldsOf(keys.proposal(n.draftId.slice(2)))).toEqual(sorted(PROPOSAL_FIELDS));
    const requestor = marketClient(t, n.requestorParty).agreements;
    const provider = marketClient(t, n.providerParty).agreements;
    const agreementId = (await requestor.create(n.draftId)).body as string;
    expect(await fieldsOf(keys.agreement(agreementId))).toEqual(sorted(AGREEMENT_FIELDS));
    expect((await requestor.confirm(agreementId)).status).toBe(204);
    const before = Date.now();
    expect((await provider.approve(agreementId)).status).toBe(204);

    const entries = await redis.xrange(keys.approvedAgreements(), '-', '+');
    const mine = entries.filter(([, fields]) => decodeHandoff(fields)?.agreementId === agreementId);
    expect(mine).toHaveLength(1);
    const fields = mine[0][1];
    expect(fields.filter((_, i) => i % 2 === 0)).toEqual([...HANDOFF_FIELDS]);
    const handoff = decodeHandoff(fields)!;
    expect(handoff).toMatchObject({
      agreementId,
      requestorId: n.requestorParty.address.toLowerCase(),
      providerId: n.providerParty.address.toLowerCase(),
    });
    expect(handoff.approvedAtMs).toBeGreaterThanOrEqual(before - 1000);
    expect(handoff.offerProperties).toEqual(
      expect.objectContaining({ 'golem.inf.mem.gib': 2, 'golem.runtime.name': 'api' }),
    );

    const agreements = t.instance.services.agreements;
    const view = await agreements.computeView(agreementId);
    expect(view?.state).toBe('Approved');
    expect(view?.agreement).toEqual(handoff);
    expect(await agreements.computeView('f'.repeat(64))).toBeUndefined();
  });
});

import { decodeHandoff, HANDOFF_FIELDS } from '../../src/market/agreements/handoff';
import { AGREEMENT_FIELDS } from '../../src/market/agreements/record';
import { PROPOSAL_FIELDS } from '../../src/market/negotiation/proposal';
import { SUBSCRIPTION_FIELDS } from '../../src/market/subscriptions/record';
import { startTestInstance, type TestInstance } from '../support/instance';
import { marketClient } from '../support/marketClient';
import { API_DEMAND, API_OFFER, negotiateViaApi, WORKLOAD_PROPERTIES } from './agreements/fixtures';

/**
 * Every record the Lua scripts write has exactly the fields its codec declares (the codec is the one source of the
 * field list), and an approval of a demand with a workload hands compute exactly the versioned entry of handoff.ts.
 */
describe('market records and the hand-off', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  const fieldsOf = async (key: string): Promise<string[]> => (await t.instance.core.redis.hkeys(key)).sort();
  const sorted = (names: readonly string[]): string[] => [...names].sort();

  /** Approves the agreement of negotiation `n`; returns its id. */
  async function approved(n: Awaited<ReturnType<typeof negotiateViaApi>>): Promise<string> {
    const requestor = marketClient(t, n.requestorParty).agreements;
    const provider = marketClient(t, n.providerParty).agreements;
    const agreementId = (await requestor.create(n.draftId)).body as string;
    expect((await requestor.confirm(agreementId)).status).toBe(204);
    expect((await provider.approve(agreementId)).status).toBe(204);
    return agreementId;
  }

  const handedOff = async (agreementId: string): Promise<string[][]> => {
    const { keys, redis } = t.instance.core;
    const entries = await redis.xrange(keys.approvedAgreements(), '-', '+');
    return entries.filter(([, fields]) => decodeHandoff(fields)?.agreementId === agreementId).map(([, f]) => f);
  };

  it('records carry exactly their codec fields; approve hands compute one versioned entry, as computeView', async () => {
    const { keys } = t.instance.core;
    const workload = { ...API_DEMAND, properties: { ...API_DEMAND.properties, ...WORKLOAD_PROPERTIES } };
    const n = await negotiateViaApi(t, API_OFFER, workload);
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

    const mine = await handedOff(agreementId);
    expect(mine).toHaveLength(1);
    const fields = mine[0];
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

  it('an approval of a demand without a workload hands compute nothing', async () => {
    // Another subnet, so that neither side matches the first test's subscriptions.
    const offer = { ...API_OFFER, constraints: '(golem.node.debug.subnet=plain)' };
    const demand = { ...API_DEMAND, properties: { ...API_DEMAND.properties, 'golem.node.debug.subnet': 'plain' } };
    const agreementId = await approved(await negotiateViaApi(t, offer, demand));
    expect(await handedOff(agreementId)).toEqual([]);
  });
});

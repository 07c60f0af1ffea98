import { SUBSCRIPTION_TOMBSTONE_MS } from '../../../src/market/limits';
import { TOMBSTONE_FIELDS } from '../../../src/market/subscriptions/record';
import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { marketClient, uniqueTag } from '../../support/marketClient';
import { until } from '../../support/wait';

/**
 * An ended subscription (unsubscribed or expired) shrinks at once to a small tombstone that expires soon, and still
 * answers as a whole record did.
 */
describe('market: ended subscriptions become tombstones', () => {
  let t: TestInstance;
  let short: TestInstance; // subscriptions live 1 s
  beforeAll(async () => {
    [t, short] = await Promise.all([
      startTestInstance(),
      startTestInstance({ env: { BOURSE_SUBSCRIPTION_TTL_SECONDS: '1' } }),
    ]);
  });
  afterAll(() => Promise.all([t.close(), short.close()]));

  const tombstoneFields = [...TOMBSTONE_FIELDS].sort();
  const fieldsOf = async (on: TestInstance, id: string) =>
    (await on.instance.core.redis.hkeys(on.instance.core.keys.subscription(id))).sort();
  const ttlOf = (on: TestInstance, id: string) => on.instance.core.redis.pttl(on.instance.core.keys.subscription(id));

  it('unsubscribe: the record shrinks to its tombstone fields, expires within the tombstone time, answers as before', async () => {
    const tag = uniqueTag();
    const provider = marketClient(t, await newParty(t));
    const requestor = marketClient(t, await newParty(t));
    const offerId = await provider.subscribeOffer({ tag, big: 'x'.repeat(2000) }, `(tag=${tag})`);
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    expect(await ttlOf(t, offerId)).toBeGreaterThan(SUBSCRIPTION_TOMBSTONE_MS);

    expect((await provider.del(`/offers/${offerId}`)).status).toBe(204);
    expect((await requestor.del(`/demands/${demandId}`)).status).toBe(204);
    for (const id of [offerId, demandId]) {
      expect(await fieldsOf(t, id)).toEqual(tombstoneFields);
      const ttl = await ttlOf(t, id);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(SUBSCRIPTION_TOMBSTONE_MS);
      // Compact: no field keeps the record in Redis's hashtable encoding (a 2 KB property had put it there).
      expect(await t.instance.core.redis.object('ENCODING', t.instance.core.keys.subscription(id))).toBe('listpack');
    }
    const again = await provider.del(`/offers/${offerId}`);
    expect(again.status).toBe(410);
    expect(again.body.message).toBe(`Offer [${offerId}] already unsubscribed.`);
    const demandAgain = await requestor.del(`/demands/${demandId}`);
    expect(demandAgain.status).toBe(404);
    expect(demandAgain.body.message).toBe(`Demand [${demandId}] not found.`);
    expect((await provider.get(`/offers/${offerId}/events?timeout=0`)).status).toBe(404);
    expect((await provider.get('/offers')).body).toEqual([]);
  });

  it('expiry: the sweeper leaves a tombstone that still answers "expired"', async () => {
    const provider = marketClient(short, await newParty(short));
    const offerId = await provider.subscribeOffer({ tag: uniqueTag() }, '()');
    await until(
      async () => !(await fieldsOf(short, offerId)).includes('properties'),
      'the sweeper to end the expired offer',
    );
    expect(await fieldsOf(short, offerId)).toEqual(tombstoneFields);
    expect(await ttlOf(short, offerId)).toBeLessThanOrEqual(SUBSCRIPTION_TOMBSTONE_MS);
    const late = await provider.del(`/offers/${offerId}`);
    expect(late.status).toBe(410);
    expect(late.body.message).toBe(`Can't unsubscribe expired Offer [${offerId}].`);
  });
});

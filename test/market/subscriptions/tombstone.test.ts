import { ENDED_STREAM_ENTRY_GRACE_MS } from '../../../src/market/limits';
import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { marketClient, uniqueTag } from '../../support/marketClient';
import { until } from '../../support/wait';

/** subscriptionTombstone.lua: a tombstone lives one to two windows of 5 minutes. */
const TOMBSTONE_MAX_MS = 10 * 60 * 1000;

/**
 * An ended subscription (unsubscribed or expired) shrinks at once to a small tombstone (a field in a shared compact
 * hash, not a key of its own) that expires soon, and still answers as a whole record did.
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

  const recordExists = async (on: TestInstance, id: string) =>
    (await on.instance.core.redis.exists(on.instance.core.keys.subscription(id))) === 1;
  /** Every tombstone hash of the instance's market: name, fields, encoding, time to live. */
  async function tombstoneHashes(on: TestInstance) {
    const { redis, keys } = on.instance.core;
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', keys.subscriptionTombstones('*', '*'), 'COUNT', 1000);
      cursor = next;
      names.push(...found);
    } while (cursor !== '0');
    return Promise.all(
      names.map(async (name) => ({
        fields: await redis.hlen(name),
        encoding: await redis.object('ENCODING', name),
        ttl: await redis.pttl(name),
      })),
    );
  }
  const tombstoneCount = async (on: TestInstance) =>
    (await tombstoneHashes(on)).reduce((sum, hash) => sum + hash.fields, 0);

  it('unsubscribe: the record goes, a compact tombstone expires within the tombstone time, answers as before', async () => {
    const tag = uniqueTag();
    const provider = marketClient(t, await newParty(t));
    const requestor = marketClient(t, await newParty(t));
    const offerId = await provider.subscribeOffer({ tag, big: 'x'.repeat(2000) }, `(tag=${tag})`);
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const before = await tombstoneCount(t);

    expect((await provider.del(`/offers/${offerId}`)).status).toBe(204);
    expect((await requestor.del(`/demands/${demandId}`)).status).toBe(204);
    for (const id of [offerId, demandId]) expect(await recordExists(t, id)).toBe(false);
    expect(await tombstoneCount(t)).toBe(before + 2);
    for (const hash of await tombstoneHashes(t)) {
      expect(hash.ttl).toBeGreaterThan(0);
      expect(hash.ttl).toBeLessThanOrEqual(TOMBSTONE_MAX_MS);
      expect(hash.encoding).toBe('listpack'); // compact whatever the subscription held (a 2 KB property here)
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
    await until(async () => !(await recordExists(short, offerId)), 'the sweeper to end the expired offer');
    expect(await tombstoneCount(short)).toBeGreaterThanOrEqual(1);
    const late = await provider.del(`/offers/${offerId}`);
    expect(late.status).toBe(410);
    expect(late.body.message).toBe(`Can't unsubscribe expired Offer [${offerId}].`);
    const collect = await provider.get(`/offers/${offerId}/events?timeout=0`);
    expect(collect.status).toBe(404);
    expect(collect.body.message).toBe(`Subscription [${offerId}] expired.`);
  });

  it("the stream keeps an ended subscription's entries only for the grace; live ones and matching stay", async () => {
    const { redis, keys } = t.instance.core;
    const market = t.instance.services.market;
    const tag = uniqueTag();
    const provider = marketClient(t, await newParty(t));
    const requestor = marketClient(t, await newParty(t));
    const endedId = await provider.subscribeOffer({ tag, n: 1 }, `(tag=${tag})`);
    const liveId = await provider.subscribeOffer({ tag, n: 2 }, `(tag=${tag})`);
    const entriesOf = async (id: string) =>
      (await redis.xrange(keys.subscriptionStream(), '-', '+')).filter(([, fields]) => fields.includes(id));
    expect((await provider.del(`/offers/${endedId}`)).status).toBe(204);
    expect((await entriesOf(endedId)).map(([, fields]) => fields[1])).toEqual(['end']); // its 'sub' entry went at once

    await market.subscriptions.trimEndedEntries(); // within the grace: kept for the matchers
    expect(await entriesOf(endedId)).toHaveLength(1);
    await market.subscriptions.trimEndedEntries(Date.now() + ENDED_STREAM_ENTRY_GRACE_MS + 1000);
    expect(await entriesOf(endedId)).toHaveLength(0);
    expect((await entriesOf(liveId)).map(([, fields]) => fields[1])).toEqual(['sub']);

    // The live offer still matches a new demand after the trim.
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const events = await requestor.get(`/demands/${demandId}/events?timeout=5`);
    expect(events.status).toBe(200);
    expect(events.body).toHaveLength(1);
    expect((await provider.del(`/offers/${endedId}`)).status).toBe(410); // the tombstone still answers
  });
});

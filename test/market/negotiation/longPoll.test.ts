import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { marketClient, uniqueTag } from '../../support/marketClient';
import { send, until } from '../../support/wait';

describe('market: negotiation event long-polls', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ env: { BOURSE_MAX_LONG_POLL_SECONDS: '2' } });
  });
  afterAll(() => t.close());

  const waiting = (id: string): boolean =>
    t.instance.core.waiter.refCount(t.instance.core.keys.negotiationEvents(id)) > 0;

  it('timeout=1 on an empty queue returns [] after 1 s (± 150 ms)', async () => {
    const m = marketClient(t, await newParty(t));
    const demandId = await m.subscribeDemand({ tag: uniqueTag() }, '(nothing=matches)');
    const started = Date.now();
    const res = await m.get(`/demands/${demandId}/events?timeout=1`);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(1000 - 150);
    expect(elapsed).toBeLessThanOrEqual(1000 + 150);
  });

  it('caps the timeout at BOURSE_MAX_LONG_POLL_SECONDS', async () => {
    const m = marketClient(t, await newParty(t));
    const offerId = await m.subscribeOffer({ tag: uniqueTag() }, '(nothing=matches)');
    const started = Date.now();
    const res = await m.get(`/offers/${offerId}/events?timeout=60`);
    expect(res.body).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('unsubscribing during a wait answers the waiting collect with 404 within 100 ms', async () => {
    const m = marketClient(t, await newParty(t));
    for (const [kind, id] of [
      ['demands', await m.subscribeDemand({ tag: uniqueTag() }, '(nothing=matches)')],
      ['offers', await m.subscribeOffer({ tag: uniqueTag() }, '(nothing=matches)')],
    ]) {
      let endedAt = 0;
      const poll = m.get(`/${kind}/${id}/events?timeout=2`).then((res) => ((endedAt = Date.now()), res));
      await until(() => waiting(id));
      // The gauge counts a poll once its SUBSCRIBE is acknowledged, a moment after it registered.
      const openPolls = async (): Promise<number> =>
        (await t.instance.core.metrics.openLongPolls.get()).values[0].value;
      await until(async () => (await openPolls()) > 0, 'the poll to be counted');
      expect(await openPolls()).toBe(1);
      expect((await m.del(`/${kind}/${id}`)).status).toBe(204);
      const unsubscribedAt = Date.now();
      const res = await poll;
      expect(res.status).toBe(404);
      expect(res.body.message).toBe(`Subscription [${id}] not found. Could be unsubscribed.`);
      expect(endedAt - unsubscribedAt).toBeLessThan(100);
      expect(waiting(id)).toBe(false);
    }
    expect((await t.instance.core.metrics.openLongPolls.get()).values[0].value).toBe(0);
  });

  it('unsubscribing one demand does not disturb a collect waiting on another (yagna #738)', async () => {
    const m = marketClient(t, await newParty(t));
    const keep = await m.subscribeDemand({ tag: uniqueTag() }, '(nothing=matches)');
    const drop = await m.subscribeDemand({ tag: uniqueTag() }, '(nothing=matches)');
    const poll = send(m.get(`/demands/${keep}/events?timeout=0.5`));
    await until(() => waiting(keep));
    await m.del(`/demands/${drop}`);
    const res = await poll;
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('a subscription that expires while a collect waits ends it with 404 "expired"', async () => {
    const short = await startTestInstance({ env: { BOURSE_SUBSCRIPTION_TTL_SECONDS: '1' } });
    try {
      const m = marketClient(short, await newParty(short));
      const demandId = await m.subscribeDemand({ tag: uniqueTag() }, '(nothing=matches)');
      const started = Date.now();
      const res = await m.get(`/demands/${demandId}/events?timeout=5`);
      expect(res.status).toBe(404);
      expect(res.body.message).toBe(`Subscription [${demandId}] expired.`);
      expect(Date.now() - started).toBeLessThan(1500);
      expect((await m.get('/demands')).body).toEqual([]);
    } finally {
      await short.close();
    }
  });

  it('a waiting collect returns the event as soon as it is written, well before its timeout', async () => {
    const tag = uniqueTag();
    const requestor = marketClient(t, await newParty(t));
    const provider = marketClient(t, await newParty(t));
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const started = Date.now();
    const poll = send(requestor.get(`/demands/${demandId}/events?timeout=2`));
    await until(() => waiting(demandId));
    await provider.subscribeOffer({ tag }, `(tag=${tag})`);
    const res = await poll;
    expect(res.body).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('shutting the instance down answers waiting collects with []', async () => {
    const other = await startTestInstance();
    const m = marketClient(other, await newParty(other));
    const demandId = await m.subscribeDemand({ tag: uniqueTag() }, '(nothing=matches)');
    const poll = send(m.get(`/demands/${demandId}/events?timeout=30`));
    await until(() => other.instance.core.waiter.refCount(other.instance.core.keys.negotiationEvents(demandId)) > 0);
    const started = Date.now();
    await other.close();
    const res = await poll;
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

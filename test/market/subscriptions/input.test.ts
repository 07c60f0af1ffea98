import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { MARKET_BASE, marketClient, uniqueTag, type MarketClient } from '../../support/marketClient';

/** Bad input: each is a 4xx with a JSON message, and nothing changes. */
describe('market: bad input', () => {
  let t: TestInstance;
  let m: MarketClient;
  let demandId: string;
  let offerId: string;
  beforeAll(async () => {
    t = await startTestInstance();
    m = marketClient(t, await newParty(t));
    demandId = await m.subscribeDemand({ tag: uniqueTag() }, '(nothing=matches)');
    offerId = await m.subscribeOffer({ tag: uniqueTag() }, '(nothing=matches)');
  });
  afterAll(() => t.close());

  const expectJson400 = (res: { status: number; body: { message?: unknown }; headers: Record<string, string> }) => {
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(typeof res.body.message).toBe('string');
  };

  async function unchanged(): Promise<void> {
    expect((await m.get('/demands')).body.map((d: { demandId: string }) => d.demandId)).toEqual([demandId]);
    expect((await m.get('/offers')).body.map((o: { offerId: string }) => o.offerId)).toEqual([offerId]);
  }

  it('malformed constraints: 400 naming the position, nothing stored', async () => {
    for (const constraints of ['(a=', '', 'foo', '(a=*b)', '(&(a=1)']) {
      for (const kind of ['demands', 'offers']) {
        const res = await m.post(`/${kind}`, { properties: {}, constraints });
        expectJson400(res);
        expect(res.body.message).toMatch(/position \d+/);
      }
    }
    await unchanged();
  });

  it('properties that are not an object, missing fields, wrong body type: 400, nothing stored', async () => {
    for (const properties of [5, 'x', [1, 2], null, true]) {
      expectJson400(await m.post('/demands', { properties, constraints: '()' }));
    }
    expectJson400(await m.post('/offers', { constraints: '()' }));
    expectJson400(await m.post('/offers', { properties: {}, constraints: 7 }));
    expectJson400(await m.post('/offers'));
    expectJson400(await m.post('/offers').set('Content-Type', 'application/json').send('{"properties":'));
    expectJson400(
      await m.post('/offers').set('Content-Type', 'text/plain').send('{"properties":{},"constraints":"()"}'),
    );
    await unchanged();
  });

  it('maxEvents 0, 101, non-integer: 400', async () => {
    for (const value of ['0', '101', '1.5', 'abc', '-1', '']) {
      const res = await m.get(`/demands/${demandId}/events?timeout=0&maxEvents=${value}`);
      expectJson400(res);
      expect(res.body.message).toBe(`Invalid maxEvents '${value}', should be between 1 and 100.`);
    }
    expect((await m.get(`/demands/${demandId}/events?timeout=0&maxEvents=100`)).status).toBe(200);
    expect((await m.get(`/demands/${demandId}/events?timeout=0&maxEvents=1`)).status).toBe(200);
  });

  it('negative or non-numeric timeout: 400', async () => {
    for (const value of ['-1', 'abc', '', '1s', 'NaN', 'Infinity']) {
      expectJson400(await m.get(`/offers/${offerId}/events?timeout=${value}`));
    }
    expect((await m.get(`/offers/${offerId}/events?timeout=0.05`)).status).toBe(200);
  });

  it('malformed subscription and proposal ids: 400', async () => {
    const good = `R-${'a'.repeat(64)}`;
    for (const id of [
      'abc',
      `${'a'.repeat(32)}-${'b'.repeat(63)}`,
      `${'g'.repeat(32)}-${'b'.repeat(64)}`,
      `${'a'.repeat(32)}${'b'.repeat(64)}`,
    ]) {
      expectJson400(await m.get(`/demands/${id}/events?timeout=0`));
      expectJson400(await m.del(`/offers/${id}`));
      expectJson400(await m.post(`/demands/${id}/proposals/${good}`, { properties: {}, constraints: '()' }));
    }
    for (const pid of ['X-' + 'a'.repeat(64), 'R-abc', 'R-' + 'z'.repeat(64), 'Rabc']) {
      expectJson400(await m.get(`/demands/${demandId}/proposals/${pid}`));
      expectJson400(await m.post(`/demands/${demandId}/proposals/${pid}/reject`, { message: 'x' }));
    }
    await unchanged();
  });

  it('a reason that is not a Reason: 400', async () => {
    expectJson400(await m.post(`/demands/${demandId}/proposals/R-${'a'.repeat(64)}/reject`, { notMessage: 1 }));
  });

  it("someone else's subscription: 404 and nothing changes", async () => {
    const other = marketClient(t, await newParty(t));
    expect((await other.get(`/demands/${demandId}/events?timeout=0`)).status).toBe(404);
    expect((await other.get(`/offers/${offerId}/events?timeout=0`)).status).toBe(404);
    expect((await other.del(`/demands/${demandId}`)).status).toBe(404);
    expect((await other.del(`/offers/${offerId}`)).status).toBe(404);
    // A demand id on the offers path is not an offer.
    expect((await m.get(`/offers/${demandId}/events?timeout=0`)).status).toBe(404);
    expect((await m.del(`/offers/${demandId}`)).status).toBe(404);
    expect((await other.get('/demands')).body).toEqual([]);
    await unchanged();
  });

  it('no token: 401 plain text; property queries: 404', async () => {
    const res = await t.request.get(`${MARKET_BASE}/demands`);
    expect(res.status).toBe(401);
    expect(res.text).toBe('Missing application key');
    expect((await m.post(`/offers/${offerId}/propertyQuery/q1`, {})).status).toBe(404);
    expect((await m.post(`/demands/${demandId}/propertyQuery/q1`, {})).status).toBe(404);
  });
});

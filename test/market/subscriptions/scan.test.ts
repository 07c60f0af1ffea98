import http from 'node:http';
import { newParty, signedQuery } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { until } from '../../support/wait';
import { MARKET_BASE, marketClient, uniqueTag, type MarketClient } from '../../support/marketClient';

describe('market: offer scans', () => {
  let t: TestInstance;
  let requestor: MarketClient;
  let provider: MarketClient;
  beforeAll(async () => {
    t = await startTestInstance();
    requestor = marketClient(t, await newParty(t));
    provider = marketClient(t, await newParty(t));
  });
  afterAll(() => t.close());

  async function beginScan(body: object): Promise<string> {
    const res = await requestor.post('/scan', body);
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    return res.body as string;
  }

  it(
    'returns active offers in subscription order filtered by the constraints (offer side only), then ' +
      'waits for new ones',
    async () => {
      const tag = uniqueTag();
      const first = await provider.subscribeOffer({ tag, n: 1 }, '(requires=something)');
      const gone = await provider.subscribeOffer({ tag, n: 2 }, '()');
      await provider.subscribeOffer({ tag: 'other', n: 3 }, '()');
      const third = await provider.subscribeOffer({ tag, n: 4 }, '()');
      await provider.del(`/offers/${gone}`);
      const id = await beginScan({ type: 'offer', constraints: `(tag=${tag})` });
      const batch = await requestor.get(`/scan/${id}/events?timeout=1&maxEvents=10`);
      expect(batch.body.map((o: { offerId: string }) => o.offerId)).toEqual([first, third]);
      expect(batch.body[0]).toEqual({
        properties: { n: 1, tag },
        constraints: '(requires=something)',
        offerId: first,
        providerId: provider.party.address,
        timestamp: expect.any(String),
      });

      const started = Date.now();
      const waiting = Promise.resolve(requestor.get(`/scan/${id}/events?timeout=3`));
      const fourth = await provider.subscribeOffer({ tag, n: 5 }, '()');
      const next = await waiting;
      expect(next.body.map((o: { offerId: string }) => o.offerId)).toEqual([fourth]);
      expect(Date.now() - started).toBeLessThan(2000);
      expect((await requestor.get(`/scan/${id}/events?timeout=0.2`)).body).toEqual([]);
    },
  );

  it('a demand scan never yields anything', async () => {
    await provider.subscribeOffer({ tag: uniqueTag() }, '()');
    const id = await beginScan({ type: 'demand' });
    const res = await requestor.get(`/scan/${id}/events?timeout=0.3`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it("another identity's scan is 403, an unknown or ended one 404, a bad constraint 400", async () => {
    const id = await beginScan({ type: 'offer' });
    const stranger = await provider.get(`/scan/${id}/events?timeout=0`);
    expect(stranger.status).toBe(403);
    expect(stranger.body.message).toBe('Access denied');
    expect((await provider.del(`/scan/${id}`)).status).toBe(403);
    expect((await requestor.get('/scan/999999/events?timeout=0')).status).toBe(404);
    expect((await requestor.get('/scan/abc/events?timeout=0')).status).toBe(404);
    expect((await requestor.del(`/scan/${id}`)).status).toBe(204);
    expect((await requestor.get(`/scan/${id}/events?timeout=0`)).status).toBe(404);
    const bad = await requestor.post('/scan', { type: 'offer', constraints: '(a=' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^Invalid constraint\. .*position/);
    expect((await requestor.post('/scan', { type: 'nope' })).status).toBe(400);
  });

  it('an idle scan expires after its timeout', async () => {
    const id = await beginScan({ type: 'offer', timeout: 1 });
    expect((await requestor.get(`/scan/${id}/events?timeout=0`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // idle for longer than its 1 s lifetime
    expect((await requestor.get(`/scan/${id}/events?timeout=0`)).status).toBe(404);
  });

  it('streams offers as server-sent events (event: offer) until the client disconnects', async () => {
    const tag = uniqueTag();
    const existing = await provider.subscribeOffer({ tag }, '()');
    const id = await beginScan({ type: 'offer', constraints: `(tag=${tag})` });
    const url = new URL(`${t.url}${MARKET_BASE}/scan/${id}/events`);
    const received: string[] = [];
    let resolveTwo: () => void;
    const two = new Promise<void>((resolve) => (resolveTwo = resolve));
    const req = http.get(
      url,
      { headers: { Authorization: `Bearer ${requestor.party.token}`, Accept: 'text/event-stream' } },
      (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        expect(res.headers['cache-control']).toBe('no-cache');
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            received.push(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
          if (received.length >= 2) resolveTwo();
        });
      },
    );
    const later = await provider.subscribeOffer({ tag }, '()');
    await two;
    req.destroy();
    expect(received.map((e) => e.split('\n')[0])).toEqual(['event: offer', 'event: offer']);
    expect(received.map((e) => JSON.parse(e.split('\n')[1].slice('data: '.length)).offerId)).toEqual([existing, later]);
    // The stream released its wake-up registration once the client went away.
    const deadline = Date.now() + 2000;
    while (t.instance.core.waiter.refCount(t.instance.core.keys.subscriptionStream()) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(t.instance.core.waiter.refCount(t.instance.core.keys.subscriptionStream())).toBe(0);
  });
  it('ends an SSE stream once its token is revoked, as it ends a long-poll', async () => {
    const victim = await newParty(t);
    const scanId = (await marketClient(t, victim).post('/scan', { type: 'offer', timeout: 60 })).body as string;
    const jti = JSON.parse(Buffer.from(victim.token.split('.')[1], 'base64url').toString('utf8')).jti as string;
    const { waiter, keys } = t.instance.core;
    let opened = false;
    const ended = new Promise<void>((resolve) => {
      const req = http.get(
        `${t.url}${MARKET_BASE}/scan/${scanId}/events`,
        { headers: { Authorization: `Bearer ${victim.token}`, Accept: 'text/event-stream' } },
        (res) => {
          opened = res.statusCode === 200;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => resolve());
    });
    await until(() => waiter.refCount(keys.revokedToken(jti)) === 1, 'the stream waiting under its token');
    const revokedAt = Date.now();
    const revoked = await t.request
      .delete('/api/services/deleteAuthToken')
      .query({ ...(await signedQuery(victim.wallet, 1)), token: victim.token });
    expect(revoked.status).toBe(200);
    await ended; // the scan lives 60 s and idles 30 s between wake-ups: only the revocation ends it this soon
    expect(opened).toBe(true);
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect(waiter.refCount(keys.revokedToken(jti))).toBe(0);
  });
});

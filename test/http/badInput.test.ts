import http from 'node:http';
import type Router from '@koa/router';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../src/http/middleware/body';
import { newParty, type Party } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';
import { dealViaApi, snapshot, type Deal } from './parties';

const BASE = '/market-api/v1';
const arrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const objects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const DEEP = { 'arrays 5000': arrays(5000), 'arrays 100000': arrays(100_000), 'objects 10000': objects(10_000) };

/** Test-only routes: one echoing its body, one recursing as deep as the query asks (the stack-overflow backstop). */
function probeRoutes(router: Router): void {
  router.post('/probe/echo', (ctx) => {
    ctx.body = { received: ctx.request.body };
  });
  router.get('/probe/recurse', (ctx) => {
    const down = (n: number): number => (n === 0 ? 0 : 1 + down(n - 1));
    ctx.body = { depth: down(Number(ctx.query.n)) };
  });
}

describe('bad input is a clean 4xx', () => {
  let t: TestInstance;
  let deal: Deal;
  let stranger: Party;
  beforeAll(async () => {
    t = await startTestInstance({ extraRoutes: probeRoutes });
    deal = await dealViaApi(t);
    stranger = await newParty(t);
  });
  afterAll(() => t.close());

  it('counts depth without being fooled by brackets inside strings', () => {
    expect(jsonDepthExceeds(arrays(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(arrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(JSON.stringify({ s: '[[[[["\\' }), 2)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify([[['"]]]"']]]), 2)).toBe(true);
  });

  it(`accepts JSON nested ${MAX_JSON_DEPTH} deep and refuses one level more with 400`, async () => {
    const ok = await t.request.post('/probe/echo').set('Content-Type', 'application/json').send(arrays(MAX_JSON_DEPTH));
    expect(ok.status).toBe(200);
    const deep = await t.request
      .post('/probe/echo')
      .set('Content-Type', 'application/json')
      .send(arrays(MAX_JSON_DEPTH + 1));
    expect(deep.status).toBe(400);
    expect(deep.body.message).toContain(`limit of ${MAX_JSON_DEPTH} levels`);
  });

  it('answers a stack overflow on any other input with 400 JSON, not 500', async () => {
    expect((await t.request.get('/probe/recurse?n=10')).body).toEqual({ depth: 10 });
    const res = await t.request.get('/probe/recurse?n=10000000');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/nested too deeply/);
  });

  it('refuses the review’s deep bodies on subscribe, counter, reject and cancel: owner and stranger alike get 400', async () => {
    const before = await snapshot(t, deal);
    const targets: Array<{ path: string; owner: Party; body: (deep: string) => string }> = [
      { path: `${BASE}/demands`, owner: deal.requestor, body: (d) => `{"properties":{"x":${d}},"constraints":"()"}` },
      { path: `${BASE}/offers`, owner: deal.provider, body: (d) => `{"properties":{"x":${d}},"constraints":"()"}` },
      {
        path: `${BASE}/demands/${deal.demandId}/proposals/${deal.draftId}`,
        owner: deal.requestor,
        body: (d) => `{"properties":{"x":${d}},"constraints":"()"}`,
      },
      {
        path: `${BASE}/offers/${deal.offerId}/proposals/${deal.counterId}`,
        owner: deal.provider,
        body: (d) => `{"properties":{"x":${d}},"constraints":"()"}`,
      },
      {
        path: `${BASE}/demands/${deal.demandId}/proposals/${deal.draftId}/reject`,
        owner: deal.requestor,
        body: (d) => `{"message":"x","d":${d}}`,
      },
      {
        path: `${BASE}/agreements/${deal.agreementId}/cancel`,
        owner: deal.requestor,
        body: (d) => `{"message":"x","d":${d}}`,
      },
      { path: `${BASE}/agreements/${'f'.repeat(64)}/cancel`, owner: deal.requestor, body: (d) => `{"d":${d}}` },
    ];
    for (const target of targets) {
      for (const [name, deep] of Object.entries(DEEP)) {
        const answers = [];
        for (const party of [target.owner, stranger]) {
          const res = await t.request
            .post(target.path)
            .set('Authorization', `Bearer ${party.token}`)
            .set('Content-Type', 'application/json')
            .send(target.body(deep));
          answers.push({ status: res.status, body: res.body });
        }
        expect({ target: target.path, name, answers }).toEqual({
          target: target.path,
          name,
          answers: [answers[0], answers[0]],
        });
        expect(answers[0].status).toBe(400);
        expect(answers[0].body.message).toContain(`limit of ${MAX_JSON_DEPTH} levels`);
      }
    }
    expect(await snapshot(t, deal)).toEqual(before);
  });

  it('refuses constraints and property maps over their limits with 400 naming the limit', async () => {
    const subscribe = (body: object) =>
      t.request.post(`${BASE}/demands`).set('Authorization', `Bearer ${stranger.token}`).send(body);
    const long = await subscribe({ properties: {}, constraints: `(a=${'x'.repeat(64 * 1024)})` });
    expect(long.status).toBe(400);
    expect(long.body.message).toContain('65536 bytes');
    const terms = await subscribe({ properties: {}, constraints: `(&${'(a=1)'.repeat(2001)})` });
    expect(terms.status).toBe(400);
    expect(terms.body.message).toContain('2000 terms');
    const properties = Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`p${i}`, i]));
    const many = await subscribe({ properties, constraints: '()' });
    expect(many.status).toBe(400);
    expect(many.body.message).toContain('limit of 2000');
    const scan = await t.request
      .post(`${BASE}/scan`)
      .set('Authorization', `Bearer ${stranger.token}`)
      .send({ type: 'offer', constraints: `(&${'(a=1)'.repeat(2001)})` });
    expect(scan.status).toBe(400);
    expect(scan.body.message).toContain('2000 terms');
    const listed = await t.request.get(`${BASE}/demands`).set('Authorization', `Bearer ${stranger.token}`);
    expect(listed.body).toEqual([]);
  });

  describe('a body with a bad Content-Encoding', () => {
    /** One request on `agent`; resolves with the status, headers and the socket it used. */
    const call = (agent: http.Agent, method: string, path: string, headers: http.OutgoingHttpHeaders, body?: Buffer) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; socket: unknown; text: string }>(
        (resolve, reject) => {
          const url = new URL(path, t.url);
          const req = http.request(url, { method, agent, headers }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, socket: req.socket, text }));
          });
          // A poisoned connection makes the next request wait ~6 s; this bound turns that into a failure.
          req.setTimeout(3000, () => req.destroy(new Error(`${method} ${path} got no answer within 3 s`)));
          req.on('error', reject);
          req.end(body);
        },
      );

    it.each(['gzip', 'deflate', 'br'])(
      'leaves no half-read keep-alive connection: %s on a plain 1 MB body',
      async (encoding) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const body = Buffer.from(JSON.stringify({ properties: { pad: 'x'.repeat(1024 * 1024) }, constraints: '()' }));
          const first = await call(
            agent,
            'POST',
            `${BASE}/demands`,
            {
              Authorization: `Bearer ${stranger.token}`,
              'Content-Type': 'application/json',
              'Content-Encoding': encoding,
              'Content-Length': body.length,
            },
            body,
          );
          expect(first.status).toBe(400);
          expect(JSON.parse(first.text).message).toMatch(/^Json deserialize error/);
          expect(first.headers.connection).toBe('close');
          const next = await call(agent, 'GET', '/health', {});
          expect(next.status).toBe(200);
          expect(next.socket).not.toBe(first.socket); // the poisoned connection was closed, not reused
        } finally {
          agent.destroy();
        }
      },
    );

    it('keeps the connection of a well-formed request alive', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await call(agent, 'GET', '/health', {});
        const next = await call(agent, 'GET', '/health', {});
        expect(next.status).toBe(200);
        expect(next.socket).toBe(first.socket);
      } finally {
        agent.destroy();
      }
    });
  });
});

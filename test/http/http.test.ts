import type Router from '@koa/router';
import type { Core } from '../../src/kernel/core';
import { EmbeddedRedis } from '../../src/store/embeddedRedis';
import { startTestInstance, TestInstance } from '../support/instance';

/** Test-only routes: echoes a JSON body, and a route that needs Redis. */
function echoRoutes(router: Router, core: Core): void {
  router.post('/echo', (ctx) => {
    ctx.body = { received: ctx.request.body };
  });
  router.get('/counter', async (ctx) => {
    ctx.body = { value: await core.redis.incr(core.keys.readyProbe()) };
  });
}
const extraRoutes = echoRoutes;

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  limitMs: number,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (accept(value)) return { value, ms: Date.now() - started };
    if (Date.now() - started > limitMs)
      throw new Error(`condition not met within ${limitMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('JSON bodies', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ extraRoutes, env: { BOURSE_BODY_LIMIT: '4kb' } });
  });
  afterAll(() => t.close());

  it('parses a JSON body', async () => {
    const res = await t.request.post('/echo').send({ a: [1, 2] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: { a: [1, 2] } });
  });

  it('answers malformed JSON with 400 and a message', async () => {
    const res = await t.request.post('/echo').set('Content-Type', 'application/json').send('{"a": ');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.message).toMatch(/^Json deserialize error/);
  });

  it('answers an oversized body with 413 and a message', async () => {
    const res = await t.request
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ big: 'x'.repeat(8192) }));
    expect(res.status).toBe(413);
    expect(res.body.message).toContain('4096');
  });
});

describe('Redis outage', () => {
  let redis: EmbeddedRedis;
  let t: TestInstance;
  beforeAll(async () => {
    redis = await EmbeddedRedis.start(); // our own server: this test stops and restarts it
    t = await startTestInstance({ extraRoutes, redisUrl: redis.url });
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  it('turns /ready and Redis-backed routes into 503 while Redis is down, and recovers by itself', async () => {
    expect((await t.request.get('/ready')).status).toBe(200);
    expect((await t.request.get('/counter')).body).toEqual({ value: 1 });

    await redis.stop();
    const down = await eventually(
      () => t.request.get('/ready'),
      (r) => r.status === 503,
      2000,
    );
    expect(down.ms).toBeLessThan(2000);
    expect(down.value.body.message).toMatch(/Redis/);
    expect(down.value.headers['retry-after']).toBe('1');
    const route = await t.request.get('/counter');
    expect(route.status).toBe(503);
    expect(route.body.message).toMatch(/not reachable/);
    expect(route.headers['retry-after']).toBe('1');
    expect((await t.request.get('/health')).status).toBe(200);

    await redis.start();
    const up = await eventually(
      () => t.request.get('/ready'),
      (r) => r.status === 200,
      5000,
    );
    expect(up.value.body).toEqual({ status: 'ready' });
    const after = await t.request.get('/counter');
    expect(after.status).toBe(200);
    expect(after.body.value).toBe(1); // no persistence in the test server: a fresh Redis
    const metrics = await t.request.get('/metrics');
    expect(Number(/bourse_redis_errors_total (\d+)/.exec(metrics.text)?.[1])).toBeGreaterThan(0);
  });
});

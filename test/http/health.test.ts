import { startTestInstance, TestInstance } from '../support/instance';

describe('health, readiness, metrics and HTTP basics', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  it('answers /health and /ready with 200', async () => {
    expect((await t.request.get('/health')).status).toBe(200);
    const ready = await t.request.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('echoes a request id, or makes one', async () => {
    const given = await t.request.get('/health').set('X-Request-Id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.request.get('/health');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a 404 JSON message', async () => {
    const res = await t.request.get('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body.message).toContain('/no/such/route');
  });

  it('serves Prometheus metrics with request counts by route and status', async () => {
    await t.request.get('/health');
    const res = await t.request.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/bourse_http_requests_total\{route="\/health",method="GET",status="200"\} \d+/);
    expect(res.text).toContain('bourse_long_polls_open');
    expect(res.text).toContain('bourse_redis_errors_total');
  });

  it('is not ready while the subscriber connection is down (503 with Retry-After), and ready again after', async () => {
    const { subscriber } = t.instance.core;
    // disconnect() only starts closing the socket; readiness follows the connection's own 'end'.
    const ended = new Promise((resolve) => subscriber.once('end', resolve));
    subscriber.disconnect();
    await ended;
    const down = await t.request.get('/ready');
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.body.message).toMatch(/subscriber/);
    expect((await t.request.get('/health')).status).toBe(200);
    await subscriber.connect();
    const up = await t.request.get('/ready');
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'ready' });
  });
});

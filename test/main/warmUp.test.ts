import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/kernel/config';
import { ApiInstance } from '../../src/main/api';
import { warmUp } from '../../src/main/warmUp';
import { startTestInstance, TEST_AUTH_SECRET, testPrefix, testRedisUrl, type TestInstance } from '../support/instance';

describe('start-up warm-up', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  const keys = async (): Promise<string[]> =>
    (await t.instance.core.redis.keys(`${t.config.keyPrefix}*`)).sort((a, b) => a.localeCompare(b));

  it('serves only requests that are refused, changes nothing in Redis, and leaves the metrics uncounted', async () => {
    const before = await keys();
    const statuses = await warmUp(t.instance.app, t.instance.core);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status >= 400 && status < 500)).toBe(true);
    expect(await keys()).toEqual(before);
    expect((await t.instance.core.metrics.httpRequests.get()).values).toEqual([]);
    // What clients send afterwards is counted as before.
    expect((await t.request.get('/health')).status).toBe(200);
    expect((await t.instance.core.metrics.httpRequests.get()).values).toHaveLength(1);
  });

  it('runs as the instance starts listening; its requests are logged under the request id "warm-up"', async () => {
    const lines: Array<{ msg?: string; requestId?: string; status?: number }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = loadConfig({ BOURSE_KEY_PREFIX: testPrefix(), BOURSE_AUTH_SECRET: TEST_AUTH_SECRET });
    const instance = await ApiInstance.create({ config, redisUrl: testRedisUrl(), log: pino({ level: 'info' }, sink) });
    try {
      await instance.listen(0, '127.0.0.1');
      const requests = lines.filter((line) => line.msg === 'request');
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.every((line) => line.requestId === 'warm-up' && line.status! >= 400)).toBe(true);
    } finally {
      await instance.close(1000);
    }
  });
});

import Redis from 'ioredis';
import { EmbeddedRedis } from '../../src/store/embeddedRedis';
import { startTestInstance, type TestInstance } from '../support/instance';
import { until } from '../support/wait';

describe('wake channels of polls that end while Redis is down', () => {
  let redis: EmbeddedRedis;
  let t: TestInstance;
  let observer: Redis;
  beforeAll(async () => {
    redis = await EmbeddedRedis.start(); // our own server: this test stops and restarts it
    t = await startTestInstance({ redisUrl: redis.url });
    observer = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    observer.on('error', () => undefined);
  });
  afterAll(async () => {
    observer.disconnect();
    await t.close();
    await redis.stop();
  });

  const wakeChannels = async (): Promise<string[]> =>
    (await observer.pubsub('CHANNELS', `${t.instance.core.keys.wakeChannelPrefix()}*`)) as string[];

  it('are unsubscribed once Redis is back, instead of being re-subscribed for nobody', async () => {
    const { waiter, subscriber } = t.instance.core;
    const held = Array.from({ length: 100 }, (_, i) => {
      const controller = new AbortController();
      return { controller, outcome: waiter.wait([`held-${i}`], 60_000, controller.signal) };
    });
    const kept = await waiter.register(['kept']); // still wanted after the outage
    await until(async () => (await wakeChannels()).length === 101, '101 wake channels subscribed');

    await redis.stop();
    await until(() => subscriber.status !== 'ready', 'the subscriber to notice the outage');
    for (const poll of held) poll.controller.abort();
    expect(await Promise.all(held.map((poll) => poll.outcome))).toEqual(held.map(() => 'aborted'));
    expect(waiter.refCount('held-0')).toBe(0);
    expect(waiter.orphanCount).toBe(100);

    await redis.start();
    await until(async () => subscriber.status === 'ready' && waiter.orphanCount === 0, 'orphans dropped', 10_000);
    await until(async () => (await wakeChannels()).length === 1, 'only the kept channel subscribed', 10_000);
    expect(await wakeChannels()).toEqual([t.instance.core.keys.wakeChannel('kept')]);

    // The registration that outlived the outage still hears its key (published on the command connection, which
    // reconnects on its own schedule: it fails fast rather than queueing while down).
    const { redis: commands } = t.instance.core;
    await until(() => commands.status === 'ready', 'the command connection to be back', 10_000);
    const woken = kept.next(5000);
    await waiter.notify(t.instance.core.redis, 'kept');
    expect(await woken).toBe('notified');
    kept.release();
  });
});

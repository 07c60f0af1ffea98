import { once } from 'node:events';
import Redis from 'ioredis';
import type Router from '@koa/router';
import type { Core } from '../../src/kernel/core';
import { startTestInstance, testPrefix, testRedisUrl, TestInstance } from '../support/instance';

/** A test-only module: a long-poll route over the waiter, and a route that notifies a key. */
function probeRoutes(router: Router, core: Core): void {
  router.get('/probe/wait/:key', async (ctx) => {
    const timeoutMs = Number(ctx.query.timeoutMs ?? 5000);
    const started = Date.now();
    const outcome = await core.waiter.wait([ctx.params.key], timeoutMs, ctx.state.abort);
    ctx.body = { outcome, ms: Date.now() - started };
  });
  router.post('/probe/notify/:key', async (ctx) => {
    await core.waiter.notify(core.redis, ctx.params.key);
    ctx.status = 204;
  });
}

const extraRoutes = probeRoutes;

async function untilTrue(check: () => boolean | Promise<boolean>, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('long-poll waiter', () => {
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(async () => {
    const prefix = testPrefix();
    a = await startTestInstance({ prefix, extraRoutes });
    b = await startTestInstance({ prefix, extraRoutes });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('wakes a waiter on instance A when instance B notifies its key, well before the timeout', async () => {
    const waiting = a.request.get('/probe/wait/job-1?timeoutMs=5000');
    const pending = waiting.then((r) => r);
    await untilTrue(() => a.instance.core.waiter.refCount('job-1') === 1, 'the waiter to register');
    const notifiedAt = Date.now();
    await b.request.post('/probe/notify/job-1').expect(204);
    const res = await pending;
    expect(res.body.outcome).toBe('notified');
    expect(Date.now() - notifiedAt).toBeLessThan(500);
    expect(res.body.ms).toBeLessThan(2000);
  });

  it('times out after the requested time (1 s ± 150 ms) with nothing happened', async () => {
    const started = Date.now();
    const res = await a.request.get('/probe/wait/quiet-key?timeoutMs=1000');
    const elapsed = Date.now() - started;
    expect(res.body.outcome).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(1000 - 5);
    expect(elapsed).toBeLessThan(1150);
  });

  it('never loses a notification that arrives after register but before the caller sleeps', async () => {
    const { waiter, redis, subscriber } = a.instance.core;
    const registration = await waiter.register(['gap-key']);
    try {
      const delivered = once(subscriber, 'message');
      await waiter.notify(redis, 'gap-key'); // written while the caller is still "reading"
      await delivered;
      const started = Date.now();
      expect(await registration.next(10_000)).toBe('notified');
      expect(Date.now() - started).toBeLessThan(50);
    } finally {
      registration.release();
    }
    expect(waiter.refCount('gap-key')).toBe(0);
  });

  it('releases the subscription of an aborted request (refcount back to 0)', async () => {
    const controller = new AbortController();
    const { waiter } = a.instance.core;
    const waiting = waiter.wait(['abort-key'], 10_000, controller.signal);
    await untilTrue(() => waiter.refCount('abort-key') === 1, 'registration');
    controller.abort();
    expect(await waiting).toBe('aborted');
    expect(waiter.refCount('abort-key')).toBe(0);
  });

  it('releases the subscription when the HTTP client goes away', async () => {
    const { waiter } = a.instance.core;
    const req = a.request.get('/probe/wait/client-gone?timeoutMs=10000');
    req.end(() => undefined);
    await untilTrue(() => waiter.refCount('client-gone') === 1, 'registration');
    req.abort();
    await untilTrue(() => waiter.refCount('client-gone') === 0, 'release after the client left');
  });

  it('ends a guarded poll with the guard error when the guard key is notified; other polls keep waiting', async () => {
    const { waiter, redis } = a.instance.core;
    const guarded = new AbortController();
    waiter.guardPolls(guarded.signal, {
      key: 'guard-key',
      fired: async () => false,
      error: () => new Error('guard fired'),
    });
    let reads = 0;
    const read = async (): Promise<undefined> => {
      reads++;
      return undefined;
    };
    const ending = waiter.poll(['shared-key'], 10_000, guarded.signal, read);
    const found: { answer?: string } = {};
    const plain = waiter.poll(['shared-key'], 10_000, undefined, async () => found.answer);
    // Registered (refCount) comes before the guarded poll's second read, the one after subscribing: wait for both.
    await untilTrue(
      () => reads === 2 && waiter.refCount('guard-key') === 1 && waiter.refCount('shared-key') === 2,
      'both polls subscribed and the guarded one read twice (before and after subscribing)',
    );
    await waiter.notify(redis, 'guard-key');
    await expect(ending).rejects.toThrow('guard fired');
    expect(reads).toBe(2); // ended without reading again
    expect(waiter.refCount('shared-key')).toBe(1);
    found.answer = 'woken';
    await waiter.notify(redis, 'shared-key');
    expect(await plain).toBe('woken');
  });

  it('answers a poll whose first read finds something without subscribing anything', async () => {
    const { waiter } = a.instance.core;
    const register = jest.spyOn(waiter, 'register');
    try {
      expect(await waiter.poll(['ready-key'], 10_000, undefined, async () => 'there')).toBe('there');
      expect(register).not.toHaveBeenCalled();
    } finally {
      register.mockRestore();
    }
  });

  it('ends a guarded poll before its first read when the guard fired before it subscribed', async () => {
    const { waiter } = a.instance.core;
    const guarded = new AbortController();
    waiter.guardPolls(guarded.signal, { key: 'fired-key', fired: async () => true, error: () => new Error('late') });
    const read = jest.fn(async () => 'found');
    await expect(waiter.poll(['k'], 10_000, guarded.signal, read)).rejects.toThrow('late');
    expect(read).not.toHaveBeenCalled();
    expect(waiter.refCount('fired-key')).toBe(0);
  });

  it('serves 1,000 concurrent waiters over one subscriber connection, each woken only by its own key', async () => {
    const { waiter, redis } = a.instance.core;
    const keys = Array.from({ length: 1000 }, (_, i) => `many-${i}`);
    const registrations = await Promise.all(keys.map((key) => waiter.register([key])));
    const outcomes = registrations.map(async (registration) => {
      try {
        return await registration.next(10_000);
      } finally {
        registration.release();
      }
    });

    const clients = (await redis.client('LIST')) as string;
    const subscribers = clients
      .split('\n')
      .filter((line) => line.includes('name=bourse-sub') && / sub=(\d+)/.exec(line)?.[1] !== '0');
    const busy = subscribers.filter((line) => Number(/ sub=(\d+)/.exec(line)?.[1]) >= 1000);
    expect(busy).toHaveLength(1); // one connection holds all 1,000 channels

    // Wake the even keys only; the odd ones must still be waiting afterwards.
    const publisher = new Redis(testRedisUrl());
    try {
      await Promise.all(
        keys.filter((_, i) => i % 2 === 0).map((k) => publisher.publish(a.instance.core.keys.wakeChannel(k), k)),
      );
    } finally {
      publisher.disconnect();
    }
    const even = await Promise.all(outcomes.filter((_, i) => i % 2 === 0));
    expect(even.every((o) => o === 'notified')).toBe(true);
    expect(keys.filter((_, i) => i % 2 === 1).every((k) => waiter.refCount(k) === 1)).toBe(true);
    expect(keys.filter((_, i) => i % 2 === 0).every((k) => waiter.refCount(k) === 0)).toBe(true);

    // Shutdown answers every remaining waiter with "nothing happened".
    const odd = Promise.all(outcomes.filter((_, i) => i % 2 === 1));
    waiter.shutdown();
    expect((await odd).every((o) => o === 'shutdown')).toBe(true);
  });
});

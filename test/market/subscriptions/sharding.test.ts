import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../../src/store/embeddedRedis';
import { spawnCli } from '../../support/cli';
import { newParty, type Party } from '../../support/identities';
import {
  startTestInstance,
  TEST_AUTH_SECRET,
  testPrefix,
  testRedisUrl,
  type TestInstance,
} from '../../support/instance';
import { marketClient, uniqueTag } from '../../support/marketClient';
import { until } from '../../support/wait';

/**
 * Fast membership: an instance that stops beating is departed after about a second (not less: on a loaded machine a
 * live instance must not miss that many beats, or it is departed and joins again, which is correct but slower).
 */
const MEMBERSHIP_ENV = { BOURSE_MATCHER_HEARTBEAT_MS: '100', BOURSE_MATCHER_MISSED_BEATS: '10' };

/** A real `bourse api` process in the market of `prefix`, to be SIGKILLed: it departs by missing heartbeats. */
interface ApiProcess {
  child: ChildProcess;
  port: number;
  /** Its matcher's shard size, as its /metrics reports it. */
  shard(): Promise<number>;
}

async function startApiProcess(prefix: string): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawnCli(['api'], {
    env: {
      REDIS_URL: testRedisUrl(),
      BOURSE_AUTH_SECRET: TEST_AUTH_SECRET,
      BOURSE_KEY_PREFIX: prefix,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...MEMBERSHIP_ENV,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const shard = async (): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const lines = (await res.text()).split('\n').filter((l) => l.startsWith('bourse_matcher_subscriptions{'));
    return lines.length === 0 ? NaN : lines.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
  };
  const ready = async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.status === 200;
  await until(ready, 'the api process to be ready', 30_000, 50);
  return { child, port, shard };
}

function sigkill(api: ApiProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => api.child.once('exit', () => resolve()));
  api.child.kill('SIGKILL');
  return exited;
}

/**
 * Matching sharded across three instances (two in this process, one a child process): each subscription is indexed
 * by exactly one of them, and killing one while subscriptions stream in loses no pair.
 */
describe('sharded matching across three instances', () => {
  const prefix = testPrefix();
  let a: TestInstance;
  let b: TestInstance;
  let c: ApiProcess | undefined;
  const tag = uniqueTag();
  const offers: string[] = [];
  const demands: Array<{ id: string; party: Party; via: TestInstance }> = [];

  beforeAll(async () => {
    a = await startTestInstance({ prefix, env: MEMBERSHIP_ENV });
    b = await startTestInstance({ prefix, env: MEMBERSHIP_ENV });
    c = await startApiProcess(prefix);
  }, 40_000);
  afterAll(async () => {
    if (c) await sigkill(c);
    await a?.close();
    await b?.close();
  });

  const members = () => a.instance.core.redis.zcard(a.instance.core.keys.matcherMembers());
  const shardOf = (t: TestInstance) => t.instance.services.market.matcher.size;

  it('every matching pair appears exactly once when one instance is SIGKILLed while subscriptions stream in', async () => {
    expect(await members()).toBe(3);
    // Subscriptions alternate offer/demand across A and B, so pairs form on both sides of the kill.
    let n = 0;
    const subscribeSome = async (count: number) => {
      for (let i = 0; i < count; i++, n++) {
        const via = n % 2 === 0 ? a : b;
        const party = await newParty(a);
        const market = marketClient(via, party);
        if (n % 2 === 0) offers.push(await market.subscribeOffer({ tag, n }, `(tag=${tag})`));
        else demands.push({ id: await market.subscribeDemand({ tag, n }, `(tag=${tag})`), party, via });
      }
    };
    await subscribeSome(40);
    // C owns part of what exists (its shard is what the kill tests).
    await until(async () => (await c!.shard()) > 0, "C's shard to fill");
    const killed = sigkill(c!);
    c = undefined;
    // The stream goes on while C is dead but not yet departed, and after.
    await subscribeSome(40);
    await killed;
    await until(async () => (await members()) === 2, 'C to be departed', 5000);
    await subscribeSome(20);

    for (const demand of demands) {
      const requestor = marketClient(demand.via, demand.party);
      const events = await requestor.collectOffers(demand.id, offers.length, 10);
      expect(events).toHaveLength(offers.length);
      expect(new Set(events.map((e) => e.proposal!.proposalId)).size).toBe(offers.length);
      // Nothing more (no second Initial proposal of any pair).
      expect((await requestor.get(`/demands/${demand.id}/events?timeout=0.2`)).body).toEqual([]);
    }
    // The two survivors hold every live subscription once.
    const total = offers.length + demands.length;
    await until(() => shardOf(a) + shardOf(b) === total, 'the survivors to hold every subscription once');
    expect(Math.min(shardOf(a), shardOf(b))).toBeGreaterThan(0);
  }, 60_000);

  it('a restarted instance takes its share back and the others drop it', async () => {
    const total = offers.length + demands.length;
    const before = [shardOf(a), shardOf(b)];
    c = await startApiProcess(prefix);
    expect(await members()).toBe(3);
    // A and B drop C's share when they read its view entry; C indexed it before announcing itself.
    await until(async () => shardOf(a) + shardOf(b) + (await c!.shard()) === total, 'shares to add up again', 20_000);
    const shares = [shardOf(a), shardOf(b), await c.shard()];
    expect(shares[0]).toBeLessThan(before[0]);
    expect(shares[1]).toBeLessThan(before[1]);
    expect(Math.min(...shares)).toBeGreaterThan(0);

    // Matching goes on: a new demand meets every offer once.
    const party = await newParty(a);
    const requestor = marketClient(b, party);
    const demandId = await requestor.subscribeDemand({ tag }, `(tag=${tag})`);
    const events = await requestor.collectOffers(demandId, offers.length, 10);
    expect(new Set(events.map((e) => e.proposal!.proposalId)).size).toBe(offers.length);
    expect((await requestor.get(`/demands/${demandId}/events?timeout=0.2`)).body).toEqual([]);
  }, 60_000);
});

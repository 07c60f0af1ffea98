/**
 * Market benchmark (one run, one embedded Redis unless REDIS_URL is set; sizes from BENCH_WAITERS, BENCH_IDLE_POLLS,
 * BENCH_OFFERS, BENCH_CHURN):
 *  1. long-poll wake latency with 1,000 waiting collectOffers (counter-proposal → response), next to the raw Redis
 *     pub/sub latency of the same run;
 *  2. 10,000 idle waiting long-polls on one instance: Redis connections (CLIENT LIST) and resident memory growth;
 *  3. a demand subscribed against 100,000 active offers: time until its first ProposalEvent is collected, next to
 *     the time a full scan (match() against every offer) takes, and heap per indexed offer;
 *  4. churn: offer subscribe/unsubscribe cycles: Redis bytes left per ended subscription, RSS growth;
 *  5. two more instances join the market of 3: the largest share of the offers one holds, and the first event then.
 *     The joining two are `bourse api` child processes (each instance is its own process in a deployment; sharing
 *     this process's event loop, their matching would slow the very first event the part compares).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Redis from 'ioredis';
import { TokenService } from '../src/auth/tokens';
import { loadConfig } from '../src/kernel/config';
import { ApiInstance } from '../src/main/api';
import { createLogger } from '../src/kernel/logger';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import {
  collectGarbage,
  type Figures,
  fmt,
  nowMs,
  percentile,
  rawPubSubLatency,
  round,
  startApi,
  stop,
  table,
} from './support';
import { churn } from './market/churn';
import { hugeMatch } from './market/firstEvent';
import { threeInstances, untilAllHeldBy } from './market/shards';
import { agent, call, inBatches } from './market/http';

const WAKE_WAITERS = Number(process.env.BENCH_WAITERS ?? 1000);
const IDLE_POLLS = Number(process.env.BENCH_IDLE_POLLS ?? 10_000);
const OFFERS = Number(process.env.BENCH_OFFERS ?? 100_000);
const CHURN_CYCLES = Number(process.env.BENCH_CHURN ?? 20_000);

async function wakeLatency(
  base: string,
  requestor: string,
  provider: string,
): Promise<{ fromSend: number[]; fromReply: number[] }> {
  const pairs = await inBatches(WAKE_WAITERS, 100, async (i) => {
    const tag = `wake${i}`;
    const offerId = (
      await call(base, provider, 'POST', '/offers', { properties: { tag }, constraints: `(tag=${tag})` })
    ).body as string;
    const demandId = (
      await call(base, requestor, 'POST', '/demands', { properties: { tag }, constraints: `(tag=${tag})` })
    ).body as string;
    const [initial] = (await call(base, requestor, 'GET', `/demands/${demandId}/events?timeout=10`)).body as Array<{
      proposal: { proposalId: string };
    }>;
    await call(base, requestor, 'POST', `/demands/${demandId}/proposals/${initial.proposal.proposalId}`, {
      properties: { tag },
      constraints: `(tag=${tag})`,
    });
    const [seen] = (await call(base, provider, 'GET', `/offers/${offerId}/events?timeout=10`)).body as Array<{
      proposal: { proposalId: string };
    }>;
    return { tag, offerId, demandId, pid: seen.proposal.proposalId };
  });
  const returned = new Array<number>(WAKE_WAITERS);
  const polls = pairs.map((p, i) =>
    call(base, requestor, 'GET', `/demands/${p.demandId}/events?timeout=60`).then((r) => {
      returned[i] = nowMs();
      return r;
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let all 1,000 polls register
  const fromSend: number[] = [];
  const fromReply: number[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const { tag, offerId, pid } = pairs[i];
    const sent = nowMs();
    await call(base, provider, 'POST', `/offers/${offerId}/proposals/${pid}`, {
      properties: { tag },
      constraints: `(tag=${tag})`,
    });
    const replied = nowMs();
    await polls[i];
    fromSend.push(returned[i] - sent);
    fromReply.push(Math.max(0, returned[i] - replied));
  }
  return { fromSend, fromReply };
}

async function redisClients(redis: Redis, prefix: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => new RegExp(`name=${prefix}`).test(line)).length;
}

/** The idle clients run in a child process: 10,000 sockets on each side would exceed one process's descriptor limit. */
const IDLE_CLIENT = `
const http = require('node:http');
const { base, token, ids } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let done = 0, failed = 0;
const finish = () => { if (++done === ids.length) process.exit(failed ? 1 : 0); };
for (const id of ids) {
  http.get(base + '/market-api/v1/demands/' + id + '/events?timeout=100', { agent, headers: { Authorization: 'Bearer ' + token } }, (res) => {
    res.resume();
    res.on('end', finish);
  }).on('error', () => { failed++; finish(); });
}
`;

async function idlePolls(
  base: string,
  requestor: string,
  redis: Redis,
  instance: ApiInstance,
): Promise<{ row: Record<string, string | number>; rssKBEach: number | null; heapKBEach: number | null }> {
  const demandIds = await inBatches(
    IDLE_POLLS,
    200,
    async (i) =>
      (await call(base, requestor, 'POST', '/demands', { properties: { idle: i }, constraints: '(never=there)' }))
        .body as string,
  );
  collectGarbage(); // what the polls hold, not the garbage of subscribing
  const connectionsBefore = await redisClients(redis, 'bourse');
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  const clients = spawn(process.execPath, ['-e', IDLE_CLIENT], { stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = once(clients, 'exit');
  clients.stdin.end(JSON.stringify({ base, token: requestor, ids: demandIds }));
  const openPolls = async (): Promise<number> => (await instance.core.metrics.openLongPolls.get()).values[0].value;
  const started = nowMs();
  while ((await openPolls()) < IDLE_POLLS && nowMs() - started < 60_000)
    await new Promise((resolve) => setTimeout(resolve, 100));
  collectGarbage();
  const open = await openPolls();
  const connectionsDuring = await redisClients(redis, 'bourse');
  const { rss: rssDuring, heapUsed: heapDuring } = process.memoryUsage();
  const shutdownAt = nowMs();
  instance.core.waiter.shutdown(); // answers them all with [] (as SIGTERM would)
  const [code] = (await exited) as [number];
  const row = {
    'waiting long-polls': open,
    'Redis connections before': connectionsBefore,
    'Redis connections while waiting': connectionsDuring,
    'server RSS growth': `${((rssDuring - rssBefore) / 1024 / 1024).toFixed(1)} MB`,
    'per poll': `${((rssDuring - rssBefore) / Math.max(1, open) / 1024).toFixed(1)} KB`,
    'heap per poll': `${((heapDuring - heapBefore) / Math.max(1, open) / 1024).toFixed(1)} KB`,
    'all answered after shutdown': `${code === 0 ? 'yes' : 'NO'} in ${fmt(nowMs() - shutdownAt)}`,
  };
  const each = (bytes: number): number | null => (open > 0 ? round(bytes / open / 1024) : null);
  return { row, rssKBEach: each(rssDuring - rssBefore), heapKBEach: each(heapDuring - heapBefore) };
}

export async function run(): Promise<Figures> {
  const embedded = process.env.REDIS_URL ? undefined : await EmbeddedRedis.start();
  const redisUrl = process.env.REDIS_URL ?? embedded!.url;
  const prefix = `bench:${Date.now()}:`;
  const secret = 'bench-secret-bench-secret-bench-secret-0123';
  // What part 5's child instances are started with too, so all three serve one market.
  const settings = { BOURSE_KEY_PREFIX: prefix, BOURSE_AUTH_SECRET: secret, BOURSE_MAX_LONG_POLL_SECONDS: '120' };
  const config = loadConfig({ ...settings, LOG_LEVEL: 'silent' });
  const instance = await ApiInstance.create({ config, redisUrl, log: createLogger('silent') });
  const base = await instance.listen(0, '127.0.0.1');
  const market = instance.services.market;
  const tokens = new TokenService(instance.core);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const requestor = await tokens.issue(`0x${'a'.repeat(40)}`, exp);
  const provider = await tokens.issue(`0x${'b'.repeat(40)}`, exp);
  const admin = new Redis(redisUrl);
  const figures: Figures = {
    offers: OFFERS,
    wakeWaiters: WAKE_WAITERS,
    churnCycles: CHURN_CYCLES,
  };
  try {
    console.log(`\n1. wake latency, ${WAKE_WAITERS} waiting collectOffers`);
    const raw = await rawPubSubLatency(redisUrl, WAKE_WAITERS);
    // The waiting polls are served by a `bourse api` process of their own, as deployed: in the bench's process, the
    // API would share its heap with the load generator's 1,000 client requests and pay their garbage collection too.
    const waker = await startApi(redisUrl, prefix, secret, settings);
    const wake = await wakeLatency(waker.url, requestor, provider).finally(() => stop(waker.child));
    // The in-process instance takes back the subscriptions the stopped one owned before the next parts count them.
    if (market) await untilAllHeldBy(instance);
    const p99 = (s: number[]) => percentile(s, 99);
    table([
      { measure: 'raw Redis PUBLISH → message', p50: fmt(percentile(raw, 50)), p99: fmt(p99(raw)) },
      {
        measure: 'counter sent → collect returned',
        p50: fmt(percentile(wake.fromSend, 50)),
        p99: fmt(p99(wake.fromSend)),
      },
      {
        measure: 'counter answered → collect returned',
        p50: fmt(percentile(wake.fromReply, 50)),
        p99: fmt(p99(wake.fromReply)),
      },
    ]);
    console.log(`ratio p99 (counter sent → collect) / raw pub/sub p99: ${(p99(wake.fromSend) / p99(raw)).toFixed(1)}x`);
    Object.assign(figures, {
      rawPubSubP99Ms: round(p99(raw)),
      wakeP99Ms: round(p99(wake.fromSend)),
      wakeP99VsRaw: round(p99(wake.fromSend) / p99(raw)),
      wakeFromReplyP99VsRaw: round(p99(wake.fromReply) / p99(raw)),
    });

    if (market) {
      console.log(`\n4. churn: ${CHURN_CYCLES.toLocaleString()} offer subscribe → unsubscribe cycles`);
      const churned = await churn(market, admin, prefix, instance.core.keys.subscriptionStream(), CHURN_CYCLES);
      table([churned as unknown as Record<string, number>]);
      figures.redisBytesPerEndedSubscription = churned.redisBytesPerEndedSubscription;
      figures.redisBytesPerEndedSubscriptionWithinGrace = churned.redisBytesPerEndedSubscriptionWithinGrace;
      figures.streamBytesPerEndedSubscription = churned.streamBytesPerEndedSubscription;
      figures.tombstoneBytesPerEndedSubscription = churned.otherBytesPerEndedSubscription;
      figures.rssGrowthAfterChurnMB = churned.rssGrowthMB;
      figures.heapGrowthAfterChurnMB = churned.heapGrowthMB;

      console.log(`\n3. a demand against ${OFFERS.toLocaleString()} active offers`);
      const first = await hugeMatch(base, market, requestor, OFFERS);
      table([first.row]);
      Object.assign(figures, {
        firstEventWarmMs: round(first.firstEventWarmMs),
        firstEventColdMs: round(first.firstEventColdMs),
        fullScanMs: round(first.fullScanMs),
        heapBytesPerOffer: Math.round(first.heapBytesPerOffer),
      });

      console.log(`\n5. the same market on three instances`);
      const startAnother = () => startApi(redisUrl, prefix, secret, settings);
      const sharded = await threeInstances(instance, base, startAnother, requestor, OFFERS);
      table([sharded.row]);
      Object.assign(figures, {
        maxShardShare: round(sharded.maxShardShare),
        firstEventWarm3InstancesMs: round(sharded.firstEventWarmMs),
        firstEvent3VsOneInstance: round(sharded.firstEventWarmMs / first.firstEventWarmMs),
        firstEventWarm3InstancesViaJoinedMs: round(sharded.firstEventWarmViaChildMs),
      });
    } else {
      console.log('\n3, 4. skipped: the market module does not expose its service');
    }

    console.log(`\n2. ${IDLE_POLLS.toLocaleString()} idle waiting long-polls on one instance`);
    const idle = await idlePolls(base, requestor, admin, instance);
    table([idle.row]);
    figures.idlePollRssKBEach = idle.rssKBEach;
    figures.idlePollHeapKBEach = idle.heapKBEach;
    return figures;
  } finally {
    admin.disconnect();
    await instance.close(1000);
    await embedded?.stop();
    agent.destroy();
  }
}

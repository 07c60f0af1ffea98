/**
 * Market benchmark (one run, one embedded Redis unless REDIS_URL is set):
 *  1. long-poll wake latency with 1,000 waiting collectOffers (counter-proposal → response), next to the raw Redis
 *     pub/sub latency of the same run;
 *  2. 10,000 idle waiting long-polls on one instance: Redis connections (CLIENT LIST) and resident memory growth;
 *  3. a demand subscribed against 100,000 active offers: time until its first ProposalEvent is collected, next to
 *     the time a full scan (match() against every offer) takes.
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Redis from 'ioredis';
import { TokenService } from '../src/auth/tokens';
import { loadConfig } from '../src/kernel/config';
import { ApiInstance } from '../src/main/api';
import { createLogger } from '../src/kernel/logger';
import { compileSubscription, match } from '../src/market/constraints';
import type { MarketServices } from '../src/market';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import { fmt, nowMs, percentile, rawPubSubLatency, table } from './support';

const WAKE_WAITERS = 1000;
const IDLE_POLLS = 10_000;
const OFFERS = 100_000;
const RUNTIMES = 100;

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

interface Reply {
  status: number;
  body: unknown;
}

function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}/market-api/v1${path}`,
      {
        method,
        agent,
        headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function inBatches<T>(count: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size)
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => fn(i + j)))));
  return out;
}

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
): Promise<Record<string, string | number>> {
  const demandIds = await inBatches(
    IDLE_POLLS,
    200,
    async (i) =>
      (await call(base, requestor, 'POST', '/demands', { properties: { idle: i }, constraints: '(never=there)' }))
        .body as string,
  );
  global.gc?.();
  const connectionsBefore = await redisClients(redis, 'bourse');
  const rssBefore = process.memoryUsage().rss;
  const clients = spawn(process.execPath, ['-e', IDLE_CLIENT], { stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = once(clients, 'exit');
  clients.stdin.end(JSON.stringify({ base, token: requestor, ids: demandIds }));
  const openPolls = async (): Promise<number> => (await instance.core.metrics.openLongPolls.get()).values[0].value;
  const started = nowMs();
  while ((await openPolls()) < IDLE_POLLS && nowMs() - started < 60_000)
    await new Promise((resolve) => setTimeout(resolve, 100));
  global.gc?.();
  const open = await openPolls();
  const connectionsDuring = await redisClients(redis, 'bourse');
  const rssDuring = process.memoryUsage().rss;
  const shutdownAt = nowMs();
  instance.core.waiter.shutdown(); // answers them all with [] (as SIGTERM would)
  const [code] = (await exited) as [number];
  return {
    'waiting long-polls': open,
    'Redis connections before': connectionsBefore,
    'Redis connections while waiting': connectionsDuring,
    'server RSS growth': `${((rssDuring - rssBefore) / 1024 / 1024).toFixed(1)} MB`,
    'per poll': `${((rssDuring - rssBefore) / Math.max(1, open) / 1024).toFixed(1)} KB`,
    'all answered after shutdown': `${code === 0 ? 'yes' : 'NO'} in ${fmt(nowMs() - shutdownAt)}`,
  };
}

async function hugeMatch(
  base: string,
  market: MarketServices,
  requestor: string,
): Promise<Record<string, string | number>> {
  const providers = Array.from({ length: 50 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`);
  const t0 = nowMs();
  await inBatches(OFFERS, 500, (i) =>
    market.subscriptions.subscribe('offer', providers[i % providers.length], {
      properties: { 'golem.runtime.name': `rt${i % RUNTIMES}`, 'golem.inf.mem.gib': (i % 16) + 1, n: i },
      constraints: '(golem.node.debug.subnet=public)',
    }),
  );
  const inserted = nowMs() - t0;
  while (market.matcher.size < OFFERS) await new Promise((resolve) => setTimeout(resolve, 50));
  const indexed = nowMs() - t0;

  const demand = {
    properties: { 'golem.node.debug.subnet': 'public' },
    constraints: '(&(golem.runtime.name=rt7)(golem.inf.mem.gib>=8))',
  };
  /** Subscribe → the first ProposalEvent collected, in ms. */
  const firstEvent = async (body: typeof demand): Promise<number> => {
    const start = nowMs();
    const demandId = (await call(base, requestor, 'POST', '/demands', body)).body as string;
    const events = (await call(base, requestor, 'GET', `/demands/${demandId}/events?timeout=30&maxEvents=1`))
      .body as unknown[];
    if (events.length !== 1) throw new Error('no ProposalEvent arrived');
    return nowMs() - start;
  };
  const coldFirst = await firstEvent(demand);
  const warm: number[] = [];
  for (let i = 0; i < 5; i++)
    warm.push(
      await firstEvent({ ...demand, constraints: `(&(golem.runtime.name=rt${20 + i})(golem.inf.mem.gib>=8))` }),
    );

  // Baseline: what a yagna-style full scan of the 100,000 offers costs in matching alone.
  const compiledDemand = compileSubscription({ id: 'd', ...demand });
  const offers = Array.from({ length: OFFERS }, (_, i) =>
    compileSubscription({
      id: String(i),
      properties: { 'golem.runtime.name': `rt${i % RUNTIMES}`, 'golem.inf.mem.gib': (i % 16) + 1, n: i },
      constraints: '(golem.node.debug.subnet=public)',
    }),
  );
  const scanStart = nowMs();
  let yes = 0;
  for (const offer of offers) if (match(compiledDemand, offer) === 'Yes') yes++;
  const fullScan = nowMs() - scanStart;
  return {
    'offers inserted (in-process, via Lua)': `${(inserted / 1000).toFixed(1)} s`,
    'offers indexed by the matcher': `${(indexed / 1000).toFixed(1)} s`,
    'matching offers': yes,
    'first demand → first event (builds the lazy index)': fmt(coldFirst),
    'next demands → first event (median of 5)': fmt(percentile(warm, 50)),
    'baseline: full-scan match() of 100k offers': fmt(fullScan),
    'ratio warm first event / full scan': (percentile(warm, 50) / fullScan).toFixed(2),
  };
}

export async function run(): Promise<void> {
  const embedded = process.env.REDIS_URL ? undefined : await EmbeddedRedis.start();
  const redisUrl = process.env.REDIS_URL ?? embedded!.url;
  const config = loadConfig({
    BOURSE_KEY_PREFIX: `bench:${Date.now()}:`,
    BOURSE_AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    LOG_LEVEL: 'silent',
    BOURSE_MAX_LONG_POLL_SECONDS: '120',
  });
  const instance = await ApiInstance.create({ config, redisUrl, log: createLogger('silent') });
  const base = await instance.listen(0, '127.0.0.1');
  const market = instance.services.market;
  const tokens = new TokenService(instance.core);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const requestor = await tokens.issue(`0x${'a'.repeat(40)}`, exp);
  const provider = await tokens.issue(`0x${'b'.repeat(40)}`, exp);
  const admin = new Redis(redisUrl);
  try {
    console.log(`\n1. wake latency, ${WAKE_WAITERS} waiting collectOffers`);
    const raw = await rawPubSubLatency(redisUrl, WAKE_WAITERS);
    const wake = await wakeLatency(base, requestor, provider);
    table([
      { measure: 'raw Redis PUBLISH → message', p50: fmt(percentile(raw, 50)), p99: fmt(percentile(raw, 99)) },
      {
        measure: 'counter sent → collect returned',
        p50: fmt(percentile(wake.fromSend, 50)),
        p99: fmt(percentile(wake.fromSend, 99)),
      },
      {
        measure: 'counter answered → collect returned',
        p50: fmt(percentile(wake.fromReply, 50)),
        p99: fmt(percentile(wake.fromReply, 99)),
      },
    ]);
    console.log(
      `ratio p99 (counter sent → collect) / raw pub/sub p99: ${(percentile(wake.fromSend, 99) / percentile(raw, 99)).toFixed(1)}x`,
    );

    if (market) {
      console.log(`\n3. a demand against ${OFFERS.toLocaleString()} active offers (${RUNTIMES} runtimes)`);
      table([await hugeMatch(base, market, requestor)]);
    } else {
      console.log('\n3. skipped: the market module does not expose its service');
    }

    console.log(`\n2. ${IDLE_POLLS.toLocaleString()} idle waiting long-polls on one instance`);
    table([await idlePolls(base, requestor, admin, instance)]);
  } finally {
    admin.disconnect();
    await instance.close(1000);
    await embedded?.stop();
    agent.destroy();
  }
}

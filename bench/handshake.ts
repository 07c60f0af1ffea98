/**
 * Handshake throughput: N concurrent requestor/provider pairs, each looping subscribe → negotiate → agree →
 * approve → terminate → unsubscribe over HTTP, against one `bourse api` process and against two (each pair's
 * requestor on one instance, its provider on the other). Baselines measured in the same run, under the same
 * concurrency: the request rate of a bare Koa hello-world route (so a handshake's cost reads as "hello-world
 * requests") and the floor: a Koa route that runs one EVALSHA, FLOOR_REQUESTS of which make one floor handshake
 * (`costVsFloor` = floor handshakes per second / handshakes per second).
 * The cores are shared, so throughput ratios move with whatever else runs; the CPU each process spends per handshake
 * (api, Redis, this load generator) is reported too, next to the floor's CPU per 14 requests (`cpuCostVsFloor`): it
 * is steadier, and the load generator's share shows whether it, rather than the api, was the bottleneck.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import Redis from 'ioredis';
import { TokenService } from '../src/auth/tokens';
import type { Core } from '../src/kernel/core';
import { EmbeddedRedis, freePort } from '../src/store/embeddedRedis';
import { cpuSeconds, type Figures, round, startApi, stop, table, untilUp } from './support';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 16);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
/** The auth secret of the api processes this bench (and the churn bench) starts. */
export const BENCH_SECRET = randomBytes(32).toString('hex');
const ROOT = path.join(__dirname, '..');
const API = '/market-api/v1';
/** The requests of one handshake (counted by the bench as `requestsEach`). */
const FLOOR_REQUESTS = 14;

/** The baseline: Koa + @koa/router with one JSON route, also as its own process. */
async function startHelloWorld(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const code = `const Koa = require('koa'); const Router = require('@koa/router');
    const app = new Koa(); const router = new Router();
    router.get('/hello', (ctx) => { ctx.body = { hello: 'world' }; });
    app.use(router.routes()); app.listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await untilUp(`${url}/hello`);
  return { url, child };
}

/** The floor: Koa + @koa/router with one route that runs one EVALSHA (a tiny INCR script), as its own process. */
async function startFloor(redisUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const code = `const Koa = require('koa'); const Router = require('@koa/router'); const Redis = require('ioredis');
    const redis = new Redis(process.env.FLOOR_REDIS_URL);
    const script = "return redis.call('INCR', KEYS[1])";
    const app = new Koa(); const router = new Router(); let sha;
    router.get('/floor', async (ctx) => {
      sha = sha || await redis.script('LOAD', script);
      ctx.body = { n: await redis.evalsha(sha, 1, 'bench-floor-counter') };
    });
    app.use(router.routes()); app.listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', code], {
    cwd: ROOT,
    env: { ...process.env, FLOOR_REDIS_URL: redisUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await untilUp(`${url}/floor`);
  return { url, child };
}

/** Counts requests so a handshake's request count is reported, not assumed. */
let requests = 0;

/** node:http on keep-alive sockets: the load generator spends less CPU per request than with fetch. */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function request(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve([res.statusCode ?? 0, text]));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function call(method: string, url: string, token: string, body?: unknown): Promise<unknown> {
  requests++;
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const [status, text] = await request(method, url, headers, body === undefined ? undefined : JSON.stringify(body));
  if (status >= 300) throw new Error(`${method} ${url} → ${status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

type Event = { eventType: string; proposal?: { proposalId: string } };

async function nextProposal(collect: () => Promise<unknown>): Promise<string> {
  for (;;) {
    const found = ((await collect()) as Event[]).find((e) => e.eventType === 'ProposalEvent');
    if (found?.proposal) return found.proposal.proposalId;
  }
}

interface Party {
  base: string;
  token: string;
}

/** One complete handshake of pair `i`; its properties match only its own counterpart. */
async function handshake(i: number, requestor: Party, provider: Party): Promise<void> {
  const tag = `bench-${i}-${randomBytes(4).toString('hex')}`;
  const offer = {
    properties: { 'golem.runtime.name': tag, 'golem.inf.mem.gib': 2 },
    constraints: `(golem.node.debug.subnet=${tag})`,
  };
  const demand = { properties: { 'golem.node.debug.subnet': tag }, constraints: `(golem.runtime.name=${tag})` };
  const r = (method: string, p: string, body?: unknown) =>
    call(method, `${requestor.base}${API}${p}`, requestor.token, body);
  const p = (method: string, q: string, body?: unknown) =>
    call(method, `${provider.base}${API}${q}`, provider.token, body);

  const offerId = (await p('POST', '/offers', offer)) as string;
  const demandId = (await r('POST', '/demands', demand)) as string;
  const initial = await nextProposal(() => r('GET', `/demands/${demandId}/events?timeout=5&maxEvents=10`));
  const counter = (await r('POST', `/demands/${demandId}/proposals/${initial}`, demand)) as string;
  await nextProposal(() => p('GET', `/offers/${offerId}/events?timeout=5&maxEvents=10`));
  await p('POST', `/offers/${offerId}/proposals/${counter.replace(/^R-/, 'P-')}`, offer);
  const draft = await nextProposal(() => r('GET', `/demands/${demandId}/events?timeout=5&maxEvents=10`));
  const agreementId = (await r('POST', '/agreements', {
    proposalId: draft,
    validTo: new Date(Date.now() + 60_000).toISOString(),
  })) as string;
  await r('POST', `/agreements/${agreementId}/confirm?appSessionId=bench`);
  await p('POST', `/agreements/${agreementId}/approve?appSessionId=bench&timeout=5`);
  await r('POST', `/agreements/${agreementId}/wait?timeout=5`);
  await r('POST', `/agreements/${agreementId}/terminate`, { message: 'done' });
  await Promise.all([r('DELETE', `/demands/${demandId}`), p('DELETE', `/offers/${offerId}`)]);
}

async function tokenFor(tokens: TokenService): Promise<string> {
  return tokens.issue(`0x${randomBytes(20).toString('hex')}`, Math.floor(Date.now() / 1000) + 3600);
}

/** CPU seconds per unit of work of each watched process (by name), over one measurement. */
type CpuShare = Record<string, number>;

function cpuMeter(pids: Record<string, number | undefined>): (units: number) => CpuShare {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  return (units) =>
    Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, (cpuSeconds(pid) - before[name]) / Math.max(1, units)]),
    );
}

/** A token of a fresh identity, valid for an hour on the api processes this bench starts. */
export function benchToken(): Promise<string> {
  return tokenFor(new TokenService({ config: { authSecret: BENCH_SECRET } } as unknown as Core));
}

/** Calls per command name (INFO commandstats), to count the Redis commands a handshake sends. */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const [, name, n] of ((await redis.info('commandstats')) as string).matchAll(/cmdstat_([^:]+):calls=(\d+)/g))
    calls.set(name, Number(n));
  return calls;
}

/**
 * Runs PAIRS looping pairs for the duration; returns handshakes per second, requests and Redis commands per handshake.
 */
async function measureHandshakes(
  urls: string[],
  pids: Record<string, number | undefined>,
  admin: Redis,
): Promise<{ perSecond: number; requestsEach: number; cpu: CpuShare; redisCommands: Map<string, number> }> {
  // Issuing needs only the shared secret.
  const tokens = new TokenService({ config: { authSecret: BENCH_SECRET } } as unknown as Core);
  const pairs = await Promise.all(
    Array.from({ length: PAIRS }, async (_, i) => ({
      requestor: { base: urls[i % urls.length], token: await tokenFor(tokens) },
      provider: { base: urls[(i + 1) % urls.length], token: await tokenFor(tokens) },
    })),
  );
  await Promise.all(pairs.map((pair, i) => handshake(i, pair.requestor, pair.provider))); // warm-up
  requests = 0;
  let done = 0;
  const callsBefore = await commandCalls(admin);
  const meter = cpuMeter(pids);
  const deadline = Date.now() + DURATION_MS;
  const started = Date.now();
  await Promise.all(
    pairs.map(async (pair, i) => {
      while (Date.now() < deadline) {
        await handshake(i, pair.requestor, pair.provider);
        done++;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const cpu = meter(done);
  const redisCommands = new Map<string, number>();
  for (const [name, n] of await commandCalls(admin)) {
    const each = (n - (callsBefore.get(name) ?? 0)) / done;
    if (each > 0 && name !== 'info') redisCommands.set(name, each);
  }
  return { perSecond: done / seconds, requestsEach: requests / done, cpu, redisCommands };
}

/** Requests per second of one GET route under PAIRS concurrent loops, and CPU per request of the watched processes. */
async function measureRoute(
  url: string,
  pids: Record<string, number | undefined> = {},
): Promise<{ perSecond: number; cpu: CpuShare }> {
  const loop = async (until: number): Promise<number> => {
    let n = 0;
    while (Date.now() < until) {
      await request('GET', url, {});
      n++;
    }
    return n;
  };
  await Promise.all(Array.from({ length: PAIRS }, () => loop(Date.now() + 1000))); // warm-up
  const meter = cpuMeter(pids);
  const started = Date.now();
  const counts = await Promise.all(Array.from({ length: PAIRS }, () => loop(started + DURATION_MS)));
  const total = counts.reduce((a, b) => a + b, 0);
  return { perSecond: total / ((Date.now() - started) / 1000), cpu: meter(total) };
}

export async function run(): Promise<Figures> {
  const redis = await EmbeddedRedis.start();
  const admin = new Redis(redis.url);
  const children: ChildProcess[] = [];
  try {
    const hello = await startHelloWorld();
    children.push(hello.child);
    const helloRate = (await measureRoute(`${hello.url}/hello`)).perSecond;
    await stop(hello.child);
    const floor = await startFloor(redis.url);
    children.push(floor.child);
    const floorRun = await measureRoute(`${floor.url}/floor`, {
      server: floor.child.pid,
      redis: redis.pid,
      loadGenerator: process.pid,
    });
    const floorRate = floorRun.perSecond;
    await stop(floor.child);
    const floorHandshakesPerSecond = floorRate / FLOOR_REQUESTS;

    const prefix = `bench-${randomBytes(3).toString('hex')}:`;
    const first = await startApi(redis.url, prefix, BENCH_SECRET);
    children.push(first.child);
    const one = await measureHandshakes(
      [first.url],
      {
        server: first.child.pid,
        redis: redis.pid,
        loadGenerator: process.pid,
      },
      admin,
    );
    const second = await startApi(redis.url, prefix, BENCH_SECRET);
    children.push(second.child);
    const two = await measureHandshakes(
      [first.url, second.url],
      {
        server: first.child.pid,
        server2: second.child.pid,
        redis: redis.pid,
        loadGenerator: process.pid,
      },
      admin,
    );
    const ms = (seconds: number | undefined) => round((seconds ?? NaN) * 1000);
    const floorCpu = (name: string) => floorRun.cpu[name] * FLOOR_REQUESTS;
    table(
      [
        ['floor: 14 Koa + EVALSHA requests', floorCpu('server'), floorCpu('redis'), floorCpu('loadGenerator')],
        ['handshake, 1 api instance', one.cpu.server, one.cpu.redis, one.cpu.loadGenerator],
        ['handshake, 2 api instances', two.cpu.server + two.cpu.server2, two.cpu.redis, two.cpu.loadGenerator],
      ].map(([what, server, redisCpu, generator]) => ({
        'CPU ms per': what as string,
        'server(s)': String(ms(server as number)),
        redis: String(ms(redisCpu as number)),
        'load generator': String(ms(generator as number)),
      })),
    );

    table([
      {
        setup: 'Koa hello-world, 1 process',
        'per second': helloRate.toFixed(0),
        'requests each': 1,
        'hello-world requests per handshake': '-',
      },
      {
        setup: 'floor: Koa route + EVALSHA, 1 process',
        'per second': floorRate.toFixed(0),
        'requests each': 1,
        'hello-world requests per handshake': `${((helloRate / floorRate) * FLOOR_REQUESTS).toFixed(1)} (×${FLOOR_REQUESTS})`,
      },
      {
        setup: 'handshakes, 1 api instance',
        'per second': one.perSecond.toFixed(1),
        'requests each': one.requestsEach.toFixed(1),
        'hello-world requests per handshake': (helloRate / one.perSecond).toFixed(1),
      },
      {
        setup: 'handshakes, 2 api instances',
        'per second': two.perSecond.toFixed(1),
        'requests each': two.requestsEach.toFixed(1),
        'hello-world requests per handshake': (helloRate / two.perSecond).toFixed(1),
      },
    ]);
    console.log('Redis commands per handshake, 1 api instance (floor: 14 evalsha):');
    table(
      [...one.redisCommands]
        .sort((a, b) => b[1] - a[1])
        .map(([command, each]) => ({ command, 'per handshake': each.toFixed(2) })),
    );
    const costVsFloor = floorHandshakesPerSecond / one.perSecond;
    const cpuCostVsFloor = (one.cpu.server + one.cpu.redis) / (floorCpu('server') + floorCpu('redis'));
    console.log(
      `${PAIRS} concurrent pairs, ${DURATION_MS / 1000} s each; a handshake costs ${costVsFloor.toFixed(2)}× the floor ` +
        `(${FLOOR_REQUESTS} Koa + EVALSHA requests; target ≤ 1.5×), ${cpuCostVsFloor.toFixed(2)}× its server + Redis CPU; ` +
        `2 instances: ×${(two.perSecond / one.perSecond).toFixed(2)}.`,
    );
    return {
      costVsFloor: round(costVsFloor),
      twoInstanceSpeedup: round(two.perSecond / one.perSecond),
      cpuCostVsFloor: round(cpuCostVsFloor),
      apiCpuMsPerHandshake: ms(one.cpu.server),
      apiCpuMsPerHandshakeTwoInstances: ms(two.cpu.server + two.cpu.server2),
      redisCpuMsPerHandshake: ms(one.cpu.redis),
      loadGeneratorCpuMsPerHandshake: ms(one.cpu.loadGenerator),
      floorApiCpuMsPer14: ms(floorCpu('server')),
      floorRedisCpuMsPer14: ms(floorCpu('redis')),
      floorLoadGeneratorCpuMsPer14: ms(floorCpu('loadGenerator')),
      handshakesPerSecond: round(one.perSecond),
      handshakesPerSecondTwoInstances: round(two.perSecond),
      requestsPerHandshake: round(one.requestsEach),
      redisCommandsPerHandshake: round([...one.redisCommands.values()].reduce((a, b) => a + b, 0)),
      helloWorldPerSecond: round(helloRate),
      floorRequestsPerSecond: round(floorRate),
      helloWorldRequestsPerHandshake: round(helloRate / one.perSecond),
      pairs: PAIRS,
      seconds: DURATION_MS / 1000,
    };
  } finally {
    for (const child of children) await stop(child);
    admin.disconnect();
    agent.destroy();
    await redis.stop();
  }
}

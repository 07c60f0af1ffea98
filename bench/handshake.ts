/**
 * Handshake throughput: N concurrent requestor/provider pairs, each looping subscribe → negotiate → agree →
 * approve → terminate → unsubscribe over HTTP, against one `bourse api` process and against two (each pair's
 * requestor on one instance, its provider on the other). Baselines measured in the same run, under the same
 * concurrency: the request rate of a bare Koa hello-world route (so a handshake's cost reads as "hello-world
 * requests") and the floor: a Koa route that runs one EVALSHA, FLOOR_REQUESTS of which make one floor handshake
 * (`costVsFloor` = floor handshakes per second / handshakes per second). The floor and the one-instance handshakes
 * run in alternating slices, so both meet the same drift in the shared cores' speed.
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
/**
 * How long each handshake load runs before it is measured. V8 keeps optimising the api's hot paths over its first
 * seconds (on background threads, counted in the process's CPU): after one handshake per pair as the only warm-up,
 * the api's CPU per handshake measured 9.9 ms; after 3 s, 6.8 ms, in back-to-back runs. The floor's route is warm
 * within its 1 s warm-up.
 */
const WARM_UP_MS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 3) * 1000;
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

/** CPU seconds of each watched process (by name): in all over a part, or per unit of work over a whole. */
type CpuShare = Record<string, number>;

/** What one part of a measurement counted: units of work, seconds, and CPU seconds of each watched process. */
interface Part {
  units: number;
  seconds: number;
  cpuSeconds: CpuShare;
}

/** Runs `work` (which returns the units it did) and meters it. */
async function metered(pids: Record<string, number | undefined>, work: () => Promise<number>): Promise<Part> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const started = Date.now();
  const units = await work();
  const seconds = (Date.now() - started) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) - before[name]]));
  return { units, seconds, cpuSeconds: cpu };
}

/** Parts of one measurement taken as a whole: units per second and CPU seconds per unit. */
function whole(parts: Part[]): { perSecond: number; units: number; cpu: CpuShare } {
  const units = parts.reduce((sum, part) => sum + part.units, 0);
  const seconds = parts.reduce((sum, part) => sum + part.seconds, 0);
  const cpu: CpuShare = {};
  for (const part of parts)
    for (const [name, used] of Object.entries(part.cpuSeconds))
      cpu[name] = (cpu[name] ?? 0) + used / Math.max(1, units);
  return { perSecond: units / seconds, units, cpu };
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
 * PAIRS looping pairs (requestor on one url, provider on the next), warmed up for WARM_UP_MS; each `run` loops them
 * for `ms` and counts handshakes (and, through `requests`, their requests).
 */
async function handshakeLoad(urls: string[]): Promise<(ms: number) => Promise<number>> {
  // Issuing needs only the shared secret.
  const tokens = new TokenService({ config: { authSecret: BENCH_SECRET } } as unknown as Core);
  const pairs = await Promise.all(
    Array.from({ length: PAIRS }, async (_, i) => ({
      requestor: { base: urls[i % urls.length], token: await tokenFor(tokens) },
      provider: { base: urls[(i + 1) % urls.length], token: await tokenFor(tokens) },
    })),
  );
  const run = async (ms: number): Promise<number> => {
    const deadline = Date.now() + ms;
    let done = 0;
    await Promise.all(
      pairs.map(async (pair, i) => {
        while (Date.now() < deadline) {
          await handshake(i, pair.requestor, pair.provider);
          done++;
        }
      }),
    );
    return done;
  };
  await run(WARM_UP_MS);
  return run;
}

/** PAIRS concurrent loops of GET `url`, warmed up; each `run` loops them for `ms` and counts requests. */
async function routeLoad(url: string): Promise<(ms: number) => Promise<number>> {
  const loop = async (until: number): Promise<number> => {
    let n = 0;
    while (Date.now() < until) {
      await request('GET', url, {});
      n++;
    }
    return n;
  };
  await Promise.all(Array.from({ length: PAIRS }, () => loop(Date.now() + 1000))); // warm-up
  return async (ms) => {
    const until = Date.now() + ms;
    const counts = await Promise.all(Array.from({ length: PAIRS }, () => loop(until)));
    return counts.reduce((a, b) => a + b, 0);
  };
}

/** Redis commands called between two INFO commandstats readings, by name. */
function commandsCalled(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const called = new Map<string, number>();
  for (const [name, n] of after) {
    const delta = n - (before.get(name) ?? 0);
    if (delta > 0 && name !== 'info') called.set(name, delta);
  }
  return called;
}

/**
 * The floor and one api instance measured in alternating slices (ROUNDS of each, DURATION_MS in all for each): the
 * cores are shared and their speed drifts over a run, and alternating exposes both to the same drift.
 */
const ROUNDS = 4;

export async function run(): Promise<Figures> {
  const redis = await EmbeddedRedis.start();
  const admin = new Redis(redis.url);
  const children: ChildProcess[] = [];
  try {
    const hello = await startHelloWorld();
    children.push(hello.child);
    const helloLoad = await routeLoad(`${hello.url}/hello`);
    const helloRate = whole([await metered({}, () => helloLoad(DURATION_MS))]).perSecond;
    await stop(hello.child);
    const floor = await startFloor(redis.url);
    children.push(floor.child);
    const prefix = `bench-${randomBytes(3).toString('hex')}:`;
    const first = await startApi(redis.url, prefix, BENCH_SECRET);
    children.push(first.child);
    const floorLoad = await routeLoad(`${floor.url}/floor`);
    const oneLoad = await handshakeLoad([first.url]);
    const floorParts: Part[] = [];
    const oneParts: Part[] = [];
    const slice = DURATION_MS / ROUNDS;
    requests = 0;
    const redisCommands = new Map<string, number>(); // of the handshake slices only (the floor's are EVALSHA + INCR)
    for (let round = 0; round < ROUNDS; round++) {
      const watched = (server?: number) => ({ server, redis: redis.pid, loadGenerator: process.pid });
      floorParts.push(await metered(watched(floor.child.pid), () => floorLoad(slice)));
      const callsBefore = await commandCalls(admin);
      oneParts.push(await metered(watched(first.child.pid), () => oneLoad(slice)));
      for (const [name, n] of commandsCalled(callsBefore, await commandCalls(admin)))
        redisCommands.set(name, (redisCommands.get(name) ?? 0) + n);
    }
    const floorRun = whole(floorParts);
    const floorRate = floorRun.perSecond;
    const floorHandshakesPerSecond = floorRate / FLOOR_REQUESTS;
    const oneRun = whole(oneParts);
    const one = {
      ...oneRun,
      requestsEach: requests / oneRun.units,
      redisCommands: new Map([...redisCommands].map(([name, n]) => [name, n / oneRun.units])),
    };
    await stop(floor.child);
    const second = await startApi(redis.url, prefix, BENCH_SECRET);
    children.push(second.child);
    const twoLoad = await handshakeLoad([first.url, second.url]);
    requests = 0;
    const twoRun = whole([
      await metered(
        { server: first.child.pid, server2: second.child.pid, redis: redis.pid, loadGenerator: process.pid },
        () => twoLoad(DURATION_MS),
      ),
    ]);
    const two = { ...twoRun, requestsEach: requests / twoRun.units };
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

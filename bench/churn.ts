/**
 * Churn over HTTP against one `bourse api` process: CLIENTS concurrent clients each loop offer subscribe → unsubscribe
 * (BENCH_CHURN cycles in all, default 100,000). Reports the api process's RSS (from /proc) after a warm-up of
 * WARM_UP cycles at the same concurrency (the start: V8's young generation grows to its working size under load, a
 * one-off ~30 MB that is not per cycle; the RSS before it is reported too), its peak, and after the cycles once the
 * matcher is idle, plus Redis bytes per ended subscription (every key under the prefix), at once and once the
 * ended subscriptions' stream entries are past their grace.
 * The market bench's churn runs in-process (no HTTP, no auth); this one sees what a deployed instance keeps.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import Redis from 'ioredis';
import { ENDED_STREAM_ENTRY_GRACE_MS } from '../src/market/limits';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import { BENCH_SECRET, benchToken } from './handshake';
import { call } from './market/http';
import { type Figures, redisBytesUnder, startApi, stop, table } from './support';

const CYCLES = Number(process.env.BENCH_CHURN ?? 100_000);
const CLIENTS = 8;
const WARM_UP = 5000;

function rssMB(pid: number | undefined): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

export async function run(): Promise<Figures> {
  const redis = await EmbeddedRedis.start();
  const admin = new Redis(redis.url);
  const prefix = `churn-${randomBytes(3).toString('hex')}:`;
  const api = await startApi(redis.url, prefix, BENCH_SECRET);
  try {
    const token = await benchToken();
    const cycle = async (i: number): Promise<void> => {
      const offer = { properties: { 'golem.runtime.name': `churn${i % 100}`, n: i }, constraints: '(never=there)' };
      const created = await call(api.url, token, 'POST', '/offers', offer);
      if (created.status !== 201) throw new Error(`subscribe → ${created.status}`);
      const ended = await call(api.url, token, 'DELETE', `/offers/${created.body as string}`);
      if (ended.status !== 204) throw new Error(`unsubscribe → ${ended.status}`);
    };
    const cycles = async (from: number, count: number): Promise<void> => {
      let next = from;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < from + count) await cycle(next++);
        }),
      );
    };
    const rssCold = rssMB(api.child.pid);
    await cycles(-WARM_UP, WARM_UP);
    const redisBefore = await redisBytesUnder(admin, prefix);
    const rssStart = rssMB(api.child.pid);
    let peak = rssStart;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMB(api.child.pid))), 200);
    const started = Date.now();
    await cycles(0, CYCLES);
    const seconds = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the matcher drains the stream
    clearInterval(sampler);
    const rssEnd = rssMB(api.child.pid);
    const withinGrace = await redisBytesUnder(admin, prefix);
    // The api's sweeper trims the ended subscriptions' stream entries once their grace has passed.
    await new Promise((resolve) => setTimeout(resolve, ENDED_STREAM_ENTRY_GRACE_MS + 2000));
    const redisAfter = await redisBytesUnder(admin, prefix);
    const figures = {
      cycles: CYCLES,
      seconds: Math.round(seconds * 10) / 10,
      rssColdMB: Math.round(rssCold),
      rssStartMB: Math.round(rssStart),
      rssPeakMB: Math.round(peak),
      rssEndMB: Math.round(rssEnd),
      rssGrowthMB: Math.round(rssEnd - rssStart),
      redisBytesPerEndedSubscription: Math.round((redisAfter.bytes - redisBefore.bytes) / CYCLES),
      redisBytesPerEndedSubscriptionWithinGrace: Math.round((withinGrace.bytes - redisBefore.bytes) / CYCLES),
    };
    table([figures]);
    return figures;
  } finally {
    admin.disconnect();
    await stop(api.child);
    await redis.stop();
  }
}

/**
 * Long-poll core: with 1,000 waiters registered, the latency from PUBLISH to the waiter waking, next to the
 * raw Redis PUBLISH → 'message' latency of a bare ioredis subscriber measured in the same run.
 */
import pino from 'pino';
import { Waiter } from '../src/events/waiter';
import { EmbeddedRedis } from '../src/store/embeddedRedis';
import { Keys } from '../src/store/keys';
import { openRedis } from '../src/store/redis';
import { type Figures, fmt, nowMs, percentile, rawPubSubLatency, round, table } from './support';

const WAITERS = 1000;
const SAMPLES = 2000;

async function waiterWake(url: string): Promise<number[]> {
  const log = pino({ level: 'silent' });
  const keys = new Keys('bench:');
  const subscriber = await openRedis(url, 'bench-sub', log);
  const pub = await openRedis(url, 'bench-pub', log);
  const waiter = new Waiter(subscriber, keys);
  const names = Array.from({ length: WAITERS }, (_, i) => `k${i}`);
  const registrations = await Promise.all(names.map((k) => waiter.register([k])));
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const slot = i % WAITERS;
    const woken = registrations[slot].next(10_000);
    const t0 = nowMs();
    await waiter.notify(pub, names[slot]);
    if ((await woken) !== 'notified') throw new Error('waiter did not wake');
    samples.push(nowMs() - t0);
  }
  for (const r of registrations) r.release();
  subscriber.disconnect();
  pub.disconnect();
  return samples;
}

export async function run(): Promise<Figures> {
  const redis = await EmbeddedRedis.start();
  try {
    await rawPubSubLatency(redis.url, SAMPLES); // warm-up
    const raw = await rawPubSubLatency(redis.url, SAMPLES);
    const wake = await waiterWake(redis.url);
    const rows = [
      { measure: 'raw PUBLISH → message', p50: fmt(percentile(raw, 50)), p99: fmt(percentile(raw, 99)) },
      { measure: `waiter wake (${WAITERS} waiting)`, p50: fmt(percentile(wake, 50)), p99: fmt(percentile(wake, 99)) },
    ];
    table(rows);
    const ratio = percentile(wake, 99) / percentile(raw, 99);
    console.log(`p99 wake / p99 raw = ${ratio.toFixed(2)}× (target ≤ 3×)`);
    return { rawP99Ms: round(percentile(raw, 99)), wakeP99Ms: round(percentile(wake, 99)), wakeP99VsRaw: round(ratio) };
  } finally {
    await redis.stop();
  }
}

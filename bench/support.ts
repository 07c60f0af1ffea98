/** Small helpers shared by the benchmarks. */
import { once } from 'node:events';
import Redis from 'ioredis';

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function fmt(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

export function table(rows: Array<Record<string, string | number>>): void {
  console.table(rows);
}

/** The baseline every wake-up benchmark compares against: a bare ioredis PUBLISH → 'message' round, `samples` times. */
export async function rawPubSubLatency(url: string, samples: number): Promise<number[]> {
  const sub = new Redis(url);
  const pub = new Redis(url);
  await sub.subscribe('raw');
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const got = once(sub, 'message');
    const t0 = nowMs();
    await pub.publish('raw', String(i));
    await got;
    out.push(nowMs() - t0);
  }
  sub.disconnect();
  pub.disconnect();
  return out;
}

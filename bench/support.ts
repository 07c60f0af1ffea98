/** Small helpers shared by the benchmarks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import Redis from 'ioredis';
import { freePort } from '../src/store/embeddedRedis';

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

/** One row of a latency table: p50, p99 and the p50's ratio to the same run's baseline samples. */
export function latencyRow(path: string, samples: number[], baseline: number[]): Record<string, string | number> {
  return {
    path,
    samples: samples.length,
    'p50 ms': percentile(samples, 50).toFixed(1),
    'p99 ms': percentile(samples, 99).toFixed(1),
    'p50 ratio': (percentile(samples, 50) / percentile(baseline, 50)).toFixed(2),
  };
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

/** A bench's figures for `--json`: same-run baselines included; null for a figure this build cannot measure yet. */
export type Figures = Record<string, unknown>;

export function wantsJson(argv: string[] = process.argv): boolean {
  return argv.includes('--json');
}

/** Rounds to 3 significant decimals so run-to-run comparisons are not drowned in float noise. */
export function round(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return Math.round(value * 1000) / 1000;
}

/**
 * The one `--json` line: `{"bench": name, ...figures, loadAverage1m, cores}`. The machine load is part of the record
 * because shared cores make every timing noisy.
 */
export function jsonLine(bench: string, figures: Figures): string {
  const [load1] = os.loadavg();
  return JSON.stringify({ bench, ...figures, loadAverage1m: round(load1), cores: os.cpus().length });
}

/** A full garbage collection, also when node was started without --expose-gc (heap figures need a settled heap). */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/**
 * A full collection, then a pause while V8's concurrent sweeping finishes: a request timed straight after a forced
 * GC pays that sweeping on the main thread (measured: a first demand's POST 29 ms instead of 5 ms). An API that sat
 * idle before its first demand would have had that time anyway; the forced GC is the bench's own doing.
 */
export async function collectGarbageAndSettle(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 500));
}

/** Sum of MEMORY USAGE over every key under `prefix` (SCAN; keep the key count modest). */
export async function redisBytesUnder(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, names] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const name of names) pipeline.memory('USAGE', name, 'SAMPLES', 0);
    for (const [, used] of (await pipeline.exec()) ?? []) bytes += Number(used ?? 0);
    keys += names.length;
  } while (cursor !== '0');
  return { bytes, keys };
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); this process's own via cpuUsage().
 * On shared cores, CPU per unit of work is steadier than throughput, and it shows which process is the bottleneck.
 */
export function cpuSeconds(pid?: number): number {
  if (pid === undefined || pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export async function untilUp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never came up`);
}

export interface ApiProcess {
  url: string;
  child: ChildProcess;
}

/**
 * `bourse api` as its own process (the production entry point), on `prefix` of `redisUrl` with `secret`; `env` adds
 * further settings (the same ones an in-process instance of the same market was configured with).
 */
export async function startApi(
  redisUrl: string,
  prefix: string,
  secret: string,
  env: Record<string, string> = {},
): Promise<ApiProcess> {
  const port = await freePort();
  const root = path.join(__dirname, '..');
  // BENCH_API_NODE_ARGS: extra node flags for the api processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The build (`npm run bench` makes it first), as deployed: tsx's loader made the same api ~8% costlier per request.
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'dist/src/cli.js'), 'api'], {
    cwd: root,
    env: {
      ...process.env,
      LOG_LEVEL: 'error',
      ...env,
      REDIS_URL: redisUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      BOURSE_AUTH_SECRET: secret,
      BOURSE_KEY_PREFIX: prefix,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await untilUp(`${url}/ready`);
  return { url, child };
}

/** SIGTERM (a graceful shutdown), then waits for the exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return; // already ended (a SIGTERM leaves exitCode null)
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

import type Redis from 'ioredis';
import type { Keys } from '../store/keys';
import type { RunnerConfig } from './runnerConfig';

/** What a runner announces about itself in `keys.runners()` (field = runner id). */
export interface RunnerHeartbeat {
  runnerId: string;
  provider: string;
  cores: number;
  memoryGiB: number;
  diskGiB: number;
  /** Seconds. */
  maxJobDuration: number;
  /** Golem linear pricing coefficients [per second, per cpu-second, start]. */
  price: [number, number, number];
  currentJobs: number;
  maxJobs: number;
  lastSeenMs: number;
  /** How often this runner writes; readers treat it as dead after three missed beats. */
  heartbeatMs: number;
}

const GiB = 1024 ** 3;
const MISSED_BEATS = 3;

export function heartbeatOf(config: RunnerConfig, currentJobs: number, nowMs = Date.now()): RunnerHeartbeat {
  return {
    runnerId: config.runnerId,
    provider: config.provider,
    cores: config.cores,
    memoryGiB: Math.round((config.memoryBytes / GiB) * 1000) / 1000,
    diskGiB: Math.round((config.diskBytes / GiB) * 1000) / 1000,
    maxJobDuration: config.maxJobDurationSeconds,
    price: config.priceCoeffs,
    currentJobs,
    maxJobs: config.concurrency,
    lastSeenMs: nowMs,
    heartbeatMs: config.heartbeatMs,
  };
}

export async function writeHeartbeat(redis: Redis, keys: Keys, beat: RunnerHeartbeat): Promise<void> {
  await redis.hset(keys.runners(), beat.runnerId, JSON.stringify(beat));
}

export async function removeHeartbeat(redis: Redis, keys: Keys, runnerId: string): Promise<void> {
  await redis.hdel(keys.runners(), runnerId);
}

/** Runners that have written within their last three heartbeats. */
export async function readLiveRunners(redis: Redis, keys: Keys, nowMs = Date.now()): Promise<RunnerHeartbeat[]> {
  const all = await redis.hgetall(keys.runners());
  const live: RunnerHeartbeat[] = [];
  for (const raw of Object.values(all)) {
    try {
      const beat = JSON.parse(raw) as RunnerHeartbeat;
      if (nowMs - beat.lastSeenMs <= MISSED_BEATS * (beat.heartbeatMs || 5000)) live.push(beat);
    } catch {
      // a malformed entry is as good as dead
    }
  }
  return live.sort((a, b) => (a.runnerId < b.runnerId ? -1 : 1));
}

import type { Core } from '../../kernel/core';
import type { ComputeEnvironment } from '../../types/schemas';
import { runtimePackage, type RuntimePackage } from '../runtimePackages';
import { c2dV2Fields } from './oceanEnvironment';

/** What a runner announces about itself on every heartbeat, kept by the API in `keys.runners()` (field = runner id). */
export interface RunnerHeartbeat {
  runnerId: string;
  /** The provider identity the runner serves: the heartbeat's authenticated caller, never a field it sent. */
  provider: string;
  cores: number;
  memoryGiB: number;
  diskGiB: number;
  /** Seconds. */
  maxJobDuration: number;
  /** Golem linear pricing coefficients [per second, per cpu-second, start]. */
  price: number[];
  currentJobs: number;
  maxJobs: number;
  lastSeenMs: number;
  /** How often this runner beats; readers treat it as dead after three missed beats. */
  heartbeatMs: number;
  /** Runtimes it serves (node, sh, python3, …); absent from runners older than the Activity API. */
  runtimes?: string[];
}

const MISSED_BEATS = 3;

export async function writeHeartbeat(core: Core, beat: RunnerHeartbeat): Promise<void> {
  await core.redis.hset(core.keys.runners(), beat.runnerId, JSON.stringify(beat));
}

export async function removeHeartbeat(core: Core, runnerId: string): Promise<void> {
  await core.redis.hdel(core.keys.runners(), runnerId);
}

/** Runners that have beaten within their last three heartbeats; dead entries are removed on the way. */
export async function readLiveRunners(core: Core, nowMs = Date.now()): Promise<RunnerHeartbeat[]> {
  const all = await core.redis.hgetall(core.keys.runners());
  const live: RunnerHeartbeat[] = [];
  const dead: string[] = [];
  for (const [runnerId, raw] of Object.entries(all)) {
    try {
      const beat = JSON.parse(raw) as RunnerHeartbeat;
      const age = nowMs - beat.lastSeenMs;
      if (age <= MISSED_BEATS * (beat.heartbeatMs || 5000)) live.push(beat);
      // Long gone (a SIGKILLed runner never says goodbye): forget it, so the hash does not grow for ever.
      else if (age > 3600_000) dead.push(runnerId);
    } catch {
      dead.push(runnerId);
    }
  }
  if (dead.length > 0) await core.redis.hdel(core.keys.runners(), ...dead);
  return live.sort((a, b) => (a.runnerId < b.runnerId ? -1 : 1));
}

/** The task package of every runtime live runners serve (GET /api/runtimes), with the providers serving it. */
export async function liveRuntimePackages(
  core: Core,
  nowMs = Date.now(),
): Promise<Array<RuntimePackage & { providers: string[] }>> {
  const providers = new Map<string, Set<string>>();
  for (const beat of await readLiveRunners(core, nowMs)) {
    for (const runtime of beat.runtimes ?? [])
      providers.set(runtime, (providers.get(runtime) ?? new Set()).add(beat.provider));
  }
  return [...providers.keys()].sort().map((runtime) => ({
    ...runtimePackage(runtime),
    providers: [...(providers.get(runtime) ?? [])].sort(),
  }));
}

/**
 * The compute environments of live runners (GET computeEnvironments), in Ocean Provider's shape: one
 * environment per runner, `consumerAddress` being the provider identity it serves, `priceMin` the price of a
 * minute of running (the per-second linear coefficient × 60).
 */
export async function liveEnvironments(core: Core, nowMs = Date.now()): Promise<ComputeEnvironment[]> {
  const runners = await readLiveRunners(core, nowMs);
  return runners.map((beat) => ({
    id: beat.runnerId,
    consumerAddress: beat.provider,
    cpuNumber: beat.cores,
    ramGB: beat.memoryGiB,
    diskGB: beat.diskGiB,
    maxJobDuration: beat.maxJobDuration,
    priceMin: (beat.price[0] ?? 0) * 60,
    currentJobs: beat.currentJobs,
    maxJobs: beat.maxJobs,
    lastSeen: beat.lastSeenMs / 1000,
    ...c2dV2Fields(beat), // ocean C2D v2
  }));
}

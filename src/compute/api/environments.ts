import type { Core } from '../kernel/core';
import type { ComputeEnvironment } from '../types/schemas';
import { readLiveRunners } from './heartbeat';

/**
 * The compute environments of live runners (GET computeEnvironments), in Ocean Provider's shape: one
 * environment per runner, `consumerAddress` being the provider identity it serves, `priceMin` the price of a
 * minute of running (the per-second linear coefficient × 60).
 */
export async function liveEnvironments(core: Core, nowMs = Date.now()): Promise<ComputeEnvironment[]> {
  const runners = await readLiveRunners(core.redis, core.keys, nowMs);
  return runners
    .sort((a, b) => a.runnerId.localeCompare(b.runnerId))
    .map((beat) => ({
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
    }));
}

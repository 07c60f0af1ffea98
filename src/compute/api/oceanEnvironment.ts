import type { Core } from '../../kernel/core';
import type { ComputeEnvironment } from '../../types/schemas';
import { readLiveRunners, type RunnerHeartbeat } from './environments';

/** The fields ocean-node's C2D v2 environments add to Provider's (what ocean.js 8 reads). */
export type C2dV2Fields = Pick<ComputeEnvironment, 'runningJobs' | 'fees' | 'resources' | 'free' | 'platform'>;
type Resource = ComputeEnvironment['resources'][number];

/** Docker's architecture names, which ocean-node reports, for Node's `process.arch`. */
const DOCKER_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

/**
 * Runners are assumed to run on the API's platform: the heartbeat does not carry one, and Bourse runs algorithms
 * as sandboxed Linux processes, not images built for an architecture.
 */
export const LOCAL_PLATFORM = { architecture: DOCKER_ARCH[process.arch] ?? process.arch, os: 'linux' };

/**
 * cpu in cores, ram and disk in GB, as ocean-node counts them. The runner's memory and disk limits apply to each job
 * (a job may use all of them), so `max` is the total; `inUse` is the share of job slots taken, since a runner does
 * not report per-resource usage.
 */
function resourcesOf(beat: RunnerHeartbeat): Resource[] {
  const busy = beat.maxJobs > 0 ? Math.min(1, beat.currentJobs / beat.maxJobs) : 0;
  const entry = (id: Resource['id'], total: number, min: number): Resource => ({
    id,
    total,
    min: Math.min(min, total),
    max: total,
    inUse: Math.round(total * busy * 1000) / 1000,
  });
  return [entry('cpu', beat.cores, 1), entry('ram', beat.memoryGiB, 0), entry('disk', beat.diskGiB, 0)];
}

/**
 * ocean-node's C2D v2 fields for one runner. `fees` is empty: Bourse is paid through the agreement (its linear
 * price), on no chain. `free` states the limits a freeCompute job runs within; it still needs an approved agreement.
 */
export function c2dV2Fields(beat: RunnerHeartbeat, platform = LOCAL_PLATFORM): C2dV2Fields {
  const resources = resourcesOf(beat);
  return {
    runningJobs: beat.currentJobs,
    fees: {},
    resources,
    free: { maxJobDuration: beat.maxJobDuration, maxJobs: beat.maxJobs, resources },
    platform: { ...platform },
  };
}

/**
 * The provider addresses Bourse serves Ocean clients for: those of the live runners, lower-case, sorted, each once.
 * The root document names them; the heartbeat records runners send.
 */
export async function liveProviderAddresses(core: Core, nowMs = Date.now()): Promise<string[]> {
  const runners = await readLiveRunners(core, nowMs);
  return [...new Set(runners.map((beat) => beat.provider.toLowerCase()))].sort();
}

import type { KillReason, RunOutcome } from './executor/process';

const MiB = 1024 ** 2;

export interface RunLimitsSummary {
  wallClockMs: number;
  memoryBytes: number;
  diskBytes: number;
  maxProcesses?: number;
}

/** Why the executor killed a run, as the job's reason (one line per kill reason). */
const KILL_REASONS: Record<KillReason, (limits: RunLimitsSummary) => string> = {
  timeout: (l) => `wall-clock limit of ${Math.round(l.wallClockMs / 100) / 10} s exceeded: the algorithm was killed`,
  memory: (l) => `memory limit of ${Math.round(l.memoryBytes / MiB)} MiB exceeded: the algorithm was killed`,
  disk: (l) => `disk limit of ${Math.round(l.diskBytes / MiB)} MiB exceeded: the algorithm was killed`,
  stop: () => 'stopped by request: the algorithm was killed',
  processes: (l) => `process limit of ${l.maxProcesses ?? '?'} reached: the algorithm was killed`,
};

/** Why the run ended, as the job's `reason` (empty for a clean exit). */
export function runReason(outcome: RunOutcome, limits: RunLimitsSummary): string {
  if (outcome.killedFor) return KILL_REASONS[outcome.killedFor](limits);
  if (outcome.signal) return `the algorithm was killed by ${outcome.signal}`;
  return outcome.exitCode === 0 ? '' : `the algorithm exited with code ${outcome.exitCode}`;
}

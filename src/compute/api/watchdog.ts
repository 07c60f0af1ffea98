import type { Core } from '../../kernel/core';
import { Periodic } from '../../kernel/loops';
import type { JobLeases } from '../jobs/leases';
import { failureCodeFor, JobRecord, JobStatus, statusText } from '../jobs/record';
import type { JobStore } from '../jobs/store';
import { readLiveRunners } from './environments';

function at(job: JobRecord): string {
  return `at status ${job.status} (${statusText(job.status).trim()})`;
}

/**
 * Makes sure no job waits, runs or hangs forever, from every API instance (so it works with no runner alive):
 * - a job still at status 1 when its agreement's validity ends fails at 2;
 * - a started job past its deadline fails with the failure code of the step it was in;
 * - a claim whose lease lapsed (its runner stopped heart-beating) goes back to the queue when another runner of the
 *   provider is alive and the job was not lost before, and fails with the reason otherwise.
 * Each action is a compare-and-set on what the sweep saw, so instances sweeping at once act once.
 */
export class Watchdog {
  readonly loop: Periodic;

  constructor(
    private readonly core: Core,
    private readonly store: JobStore,
    private readonly leases: JobLeases,
  ) {
    this.loop = new Periodic('compute watchdog', core.config.jobWatchdogMs, () => this.sweep().then(), core.log);
  }

  /** One pass; returns how many jobs it failed or re-queued. */
  async sweep(nowMs = Date.now()): Promise<number> {
    return (await this.releaseLapsed(nowMs)) + (await this.failOverdue(nowMs));
  }

  private async failOverdue(nowMs: number): Promise<number> {
    let failed = 0;
    for (const job of await this.store.overdue(nowMs)) {
      let reason: string;
      if (job.status === JobStatus.Queued) {
        if (nowMs < job.validToMs) continue;
        reason = `no runner of provider ${job.provider} started the job before the agreement's validity ended at ${new Date(job.validToMs).toISOString()}`;
      } else {
        if (job.deadlineMs === undefined || nowMs < job.deadlineMs) continue;
        reason = `deadline ${new Date(job.deadlineMs).toISOString()} passed ${at(job)}: runner ${job.runnerId || '?'} stopped making progress`;
      }
      const outcome = await this.store.transition(job.jobId, [job.status], failureCodeFor(job.status), { reason });
      if (outcome.ok) {
        failed++;
        this.core.log.warn({ jobId: job.jobId, status: job.status, reason }, 'watchdog failed a job');
      }
    }
    return failed;
  }

  private async releaseLapsed(nowMs: number): Promise<number> {
    const lapsed = await this.store.lapsedClaims(nowMs);
    if (lapsed.length === 0) return 0;
    const live = await readLiveRunners(this.core, nowMs);
    let released = 0;
    for (const job of lapsed) {
      const others = live.some((r) => r.provider === job.provider && r.runnerId !== job.runnerId);
      const lost = `runner ${job.runnerId || '?'} stopped heart-beating ${at(job)}`;
      let code: string;
      if (job.lost < 1 && others) {
        code = await this.leases.release(job, 'lost', { lapsedOnly: true, nowMs });
      } else {
        const reason =
          job.lost >= 1
            ? `runners gave up on the job: ${lost}, and a runner was lost on it before`
            : `${lost}, and no other runner of provider ${job.provider} is alive`;
        code = await this.leases.release(job, 'fail', {
          lapsedOnly: true,
          nowMs,
          failStatus: failureCodeFor(job.status),
          reason,
        });
      }
      if (code === 'ok') {
        released++;
        this.core.log.warn({ jobId: job.jobId, runnerId: job.runnerId, status: job.status }, `claim lapsed: ${lost}`);
      }
    }
    return released;
  }
}

import type { Logger } from 'pino';
import { JobStore } from './jobs';
import { failureCodeFor, JobStatus, statusText } from './statuses';

/**
 * Makes sure no job waits or runs forever: a job still at status 1 when its agreement's validity ends fails
 * at 2, and a started job past its deadline (its runner died and nobody resumed it) fails with the failure
 * code of the step it was in. Safe to run in every runner and API instance at once: each failure is a
 * compare-and-set on the status the sweep saw.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.sweeping)
        this.sweeping = this.sweep()
          .then(
            () => undefined,
            (err) => this.log.warn({ err }, 'watchdog sweep failed'),
          )
          .finally(() => (this.sweeping = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One pass; returns how many jobs it failed. */
  async sweep(nowMs = Date.now()): Promise<number> {
    let failed = 0;
    for (const job of await this.store.overdue(nowMs)) {
      let reason: string;
      if (job.status === JobStatus.Queued) {
        if (nowMs < job.validToMs) continue;
        reason = `no runner of provider ${job.provider} started the job before the agreement's validity ended at ${new Date(job.validToMs).toISOString()}`;
      } else {
        if (job.deadlineMs === undefined || nowMs < job.deadlineMs) continue;
        reason = `deadline ${new Date(job.deadlineMs).toISOString()} passed at status ${job.status} (${statusText(job.status).trim()}): runner ${job.runnerId || '?'} stopped making progress`;
      }
      const outcome = await this.store.transition(job.jobId, [job.status], failureCodeFor(job.status), {
        reason,
        results: job.results,
      });
      if (outcome.ok) {
        failed++;
        this.log.warn({ jobId: job.jobId, status: job.status, reason }, 'watchdog failed a job');
      }
    }
    return failed;
  }
}

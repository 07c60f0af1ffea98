import { normaliseAgreementId } from '../../market/ids';
import type { Core } from '../../kernel/core';
import { Forbidden, Invalid, NotFound } from '../../kernel/errors';
import { isJobId, isTerminal, JobRecord, ResultEntry } from '../jobs/record';
import type { JobStore } from '../jobs/store';
import type { ComputeWorkloadOverride } from '../workload';
import type { Dispatcher } from './dispatcher';

/** Which jobs a status/stop/delete call is about (Ocean: jobId, or documentId = agreementId). */
export interface JobFilter {
  jobId?: string;
  agreementId?: string;
}

/** How long DELETE waits for a running job to stop before removing it. */
const DELETE_STOP_WAIT_MS = 10_000;

/**
 * The compute API's rules over the job store: status is not public (only a job's requestor — its owner — and its
 * provider see it; everyone else gets 404, as if it did not exist), only the owner deletes, owner or provider stop.
 */
export class ComputeService {
  constructor(
    private readonly core: Core,
    private readonly jobs: JobStore,
    private readonly dispatcher: Dispatcher,
  ) {}

  private static canSee(job: JobRecord, caller: string): boolean {
    return job.owner === caller || job.provider === caller;
  }

  /** The job if `caller` may see it; 404 otherwise (unknown and foreign jobs look the same). */
  async visibleJob(caller: string, jobIdRaw: string): Promise<JobRecord> {
    const jobId = jobIdRaw.toLowerCase();
    const job = isJobId(jobId) ? await this.jobs.get(jobId) : undefined;
    if (!job || !ComputeService.canSee(job, caller)) throw new NotFound(`Job ${jobIdRaw} not found`);
    return job;
  }

  /** Jobs matching the filter that `caller` may see, newest first; with no filter, all of the caller's jobs. */
  async list(caller: string, filter: JobFilter): Promise<JobRecord[]> {
    if (filter.jobId !== undefined) {
      const job = await this.visibleJob(caller, filter.jobId);
      return filter.agreementId === undefined || job.agreementId === normaliseAgreementId(filter.agreementId)
        ? [job]
        : [];
    }
    if (filter.agreementId === undefined) return this.jobs.listForParty(caller);
    const hex = normaliseAgreementId(filter.agreementId);
    const jobs = hex ? await this.jobs.listForAgreement(hex) : [];
    return jobs.filter((job) => ComputeService.canSee(job, caller));
  }

  /** The jobs a stop/delete names; 400 without a filter, 404 when the caller sees none of them. */
  private async targets(caller: string, filter: JobFilter): Promise<JobRecord[]> {
    if (filter.jobId === undefined && filter.agreementId === undefined)
      throw new Invalid('jobId or documentId (the agreementId) is required');
    const jobs = await this.list(caller, filter);
    if (jobs.length === 0) throw new NotFound('No such compute job');
    return jobs;
  }

  start(caller: string, agreementId: string, override: ComputeWorkloadOverride): Promise<JobRecord> {
    return this.dispatcher.startFurtherJob(caller, agreementId, override);
  }

  /** Stop (PUT compute): the runner kills the process tree and keeps the logs; answers the jobs as they are now. */
  async stop(caller: string, filter: JobFilter): Promise<JobRecord[]> {
    const jobs = await this.targets(caller, filter);
    return Promise.all(
      jobs.map(async (job) => (isTerminal(job.status) ? job : ((await this.jobs.requestStop(job.jobId)) ?? job))),
    );
  }

  /**
   * Delete (DELETE compute): stop what still runs, wait for it to end, then remove results and record.
   * Only the owner deletes; the provider of the job gets 403. Answers the jobs as they were when removed.
   */
  async remove(caller: string, filter: JobFilter, signal?: AbortSignal): Promise<JobRecord[]> {
    const jobs = await this.targets(caller, filter);
    if (jobs.some((job) => job.owner !== caller)) throw new Forbidden('Only the requestor of a job may delete it');
    const removed: JobRecord[] = [];
    for (const job of jobs) {
      const final = isTerminal(job.status) ? job : await this.stopAndAwaitEnd(job.jobId, signal);
      await this.jobs.delete(job);
      removed.push(final ?? job);
    }
    return removed;
  }

  private async stopAndAwaitEnd(jobId: string, signal?: AbortSignal): Promise<JobRecord | undefined> {
    const stopped = await this.jobs.requestStop(jobId);
    if (!stopped || isTerminal(stopped.status)) return stopped;
    const ended = await this.core.waiter.poll([this.core.keys.job(jobId)], DELETE_STOP_WAIT_MS, signal, async () => {
      const job = await this.jobs.get(jobId);
      return !job || isTerminal(job.status) ? { job } : undefined;
    });
    return ended?.job;
  }

  /** One result file (computeResult): its listing entry and bytes; a missing index is 404. */
  async result(caller: string, jobId: string, index: number): Promise<ResultEntry & { bytes: Buffer }> {
    const job = await this.visibleJob(caller, jobId);
    const result = await this.jobs.readResult(job, index);
    if (!result) throw new NotFound(`No such index ${index} in this compute job`);
    return result;
  }
}

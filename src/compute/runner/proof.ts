import type { ClaimedJob } from '../api/providerJobs';
import type { RunContext } from './jobRun';

/**
 * As a job ends, signs its proof of delivery when it is a service invocation: the API builds the message from the
 * job it recorded, the runner checks it names this job and this provider (its own key) and signs it with that key,
 * so the API never holds a provider key. A failure here is logged: the job itself has ended either way.
 */
export async function signDeliveryProof(ctx: RunContext, job: ClaimedJob): Promise<void> {
  try {
    const proof = await ctx.api.proofToSign(job.jobId, job.fence);
    if (!proof) return;
    const { message } = proof;
    if (message.jobId !== job.jobId || String(message.provider).toLowerCase() !== ctx.config.provider.toLowerCase())
      throw new Error('the proof to sign names another job or provider');
    if (proof.webhookBody !== undefined && (JSON.parse(proof.webhookBody) as { jobId?: unknown }).jobId !== job.jobId)
      throw new Error('the webhook body to sign names another job');
    await ctx.api.signProof(job.jobId, job.fence, proof);
  } catch (err) {
    ctx.log.warn({ err, jobId: job.jobId }, 'delivery proof not signed');
  }
}

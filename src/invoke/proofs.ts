import { isTerminal } from '../compute/jobs/record';
import type { JobStore } from '../compute/jobs/store';
import type { Core } from '../kernel/core';
import { Conflict, Forbidden, Invalid, NotFound } from '../kernel/errors';
import {
  type DeliveryProofMessage,
  inputsHash,
  outputsHash,
  PROOF_DOMAIN,
  PROOF_TYPES,
  proofSigner,
  type SignedDeliveryProof,
} from './deliveryProof';
import type { InvocationService } from './invocations';
import { invokeStatus } from './status';

const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/**
 * Proofs of delivery. The API builds the message from the ended job and its invocation; the provider's runner signs
 * it with its own key and uploads the signature (fenced: only the runner whose report ended the job); the API keeps it
 * only when it recovers to the job's provider, once (HSETNX: a second upload changes nothing).
 */
export class ProofService {
  constructor(
    private readonly core: Core,
    private readonly invocations: InvocationService,
    private readonly jobs: JobStore,
  ) {}

  /** The message to sign, for the provider's runner that ended the job; undefined when the job is no invocation. */
  async toSign(provider: string, jobId: string, fence: number): Promise<DeliveryProofMessage | undefined> {
    const invocation = await this.invocations.get(jobId);
    const job = await this.jobs.get(jobId);
    if (!job || job.provider !== provider) throw new NotFound(`Job ${jobId} not found`);
    if (!invocation) return undefined;
    if (!isTerminal(job.status)) throw new Conflict(`Job ${jobId} has not ended yet`);
    // A terminal report advances the fence once: the holder that ended the job holds the one before it.
    if (job.fence !== fence + 1) throw new Conflict(`Fence ${fence} is not the claim that ended job ${jobId}`);
    return this.message(jobId);
  }

  async accept(provider: string, jobId: string, fence: number, signature: string): Promise<void> {
    if (!SIGNATURE.test(signature)) throw new Invalid('Invalid signature: expected 0x and 65 bytes in hex');
    const message = await this.toSign(provider, jobId, fence);
    if (!message) throw new NotFound(`Job ${jobId} is not an invocation`);
    if (proofSigner(message, signature) !== provider)
      throw new Forbidden('The signature does not recover to the job provider');
    await this.core.redis.hsetnx(this.core.keys.invocation(jobId), 'proofSignature', signature);
  }

  /** The signed proof, for the consumer or the provider; 409 until the job ended and its runner signed it. */
  async get(caller: string, jobId: string): Promise<SignedDeliveryProof> {
    const { job } = await this.invocations.visible(caller, jobId);
    if (!isTerminal(job.status)) throw new Conflict(`Job ${jobId} has not ended yet`);
    const signature = await this.core.redis.hget(this.core.keys.invocation(jobId), 'proofSignature');
    if (!signature) throw new Conflict(`The proof of job ${jobId} is not signed yet`);
    const message = await this.message(jobId);
    return {
      domain: PROOF_DOMAIN,
      types: PROOF_TYPES,
      primaryType: 'DeliveryProof',
      message,
      signature,
      signer: message.provider,
    };
  }

  private async message(jobId: string): Promise<DeliveryProofMessage> {
    const invocation = (await this.invocations.get(jobId))!;
    const job = (await this.jobs.get(jobId))!;
    const result = await this.invocations.result(invocation.provider, jobId);
    const started = job.deadlineMs === undefined ? 0 : job.deadlineMs - job.spec.maxDurationSeconds * 1000;
    return {
      jobId,
      serviceId: invocation.serviceId,
      serviceVersion: invocation.version,
      agreementId: invocation.agreementId,
      consumer: invocation.consumer,
      provider: invocation.provider,
      inputsHash: inputsHash(JSON.parse(invocation.payload)),
      outputsHash: outputsHash(result.files),
      status: invokeStatus(job),
      startedAt: Math.max(0, Math.floor(started / 1000)),
      finishedAt: Math.floor(Number(job.dateFinished || 0)),
    };
  }
}

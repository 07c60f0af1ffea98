import { isTerminal } from '../compute/jobs/record';
import type { JobStore } from '../compute/jobs/store';
import type { Core } from '../kernel/core';
import { Conflict, Forbidden, Invalid, NotFound } from '../kernel/errors';
import {
  canonicalJson,
  type DeliveryProofMessage,
  messageSigner,
  inputsHash,
  outputsHash,
  PROOF_DOMAIN,
  PROOF_TYPES,
  proofSigner,
  type SignedDeliveryProof,
} from './deliveryProof';
import type { InvocationService } from './invocations';
import { invokeStatus } from './status';
import type { WebhookService } from './webhooks';

/** What the runner signs: the proof (EIP-712) and, when the consumer gave a webhook, its body (EIP-191). */
export interface ProofToSign {
  message: DeliveryProofMessage;
  webhookBody?: string;
}

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
    private readonly webhooks: WebhookService,
  ) {}

  /** The message to sign, for the provider's runner that ended the job; undefined when the job is no invocation. */
  async toSign(provider: string, jobId: string, fence: number): Promise<ProofToSign | undefined> {
    const invocation = await this.invocations.get(jobId);
    const job = await this.jobs.get(jobId);
    if (!job || job.provider !== provider) throw new NotFound(`Job ${jobId} not found`);
    if (!invocation) return undefined;
    if (!isTerminal(job.status)) throw new Conflict(`Job ${jobId} has not ended yet`);
    // A terminal report advances the fence once: the holder that ended the job holds the one before it.
    if (job.fence !== fence + 1) throw new Conflict(`Fence ${fence} is not the claim that ended job ${jobId}`);
    const message = await this.message(jobId);
    if (!invocation.webhook) return { message };
    return { message, webhookBody: canonicalJson({ jobId, serviceId: message.serviceId, status: message.status }) };
  }

  /**
   * Keeps the runner's signatures when they recover to the job's provider (the first ones only), and schedules the
   * webhook when there is one.
   */
  async accept(provider: string, jobId: string, fence: number, signature: string, webhookSignature?: string) {
    if (!SIGNATURE.test(signature)) throw new Invalid('Invalid signature: expected 0x and 65 bytes in hex');
    const toSign = await this.toSign(provider, jobId, fence);
    if (!toSign) throw new NotFound(`Job ${jobId} is not an invocation`);
    if (proofSigner(toSign.message, signature) !== provider)
      throw new Forbidden('The signature does not recover to the job provider');
    const key = this.core.keys.invocation(jobId);
    await this.core.redis.hsetnx(key, 'proofSignature', signature);
    if (toSign.webhookBody === undefined) return;
    if (typeof webhookSignature !== 'string' || !SIGNATURE.test(webhookSignature))
      throw new Invalid('Invalid webhookSignature: the job has a webhook, sign its body (EIP-191)');
    if (messageSigner(toSign.webhookBody, webhookSignature) !== provider)
      throw new Forbidden('The webhook signature does not recover to the job provider');
    const stored = await this.core.redis
      .multi()
      .hsetnx(key, 'webhookSignature', webhookSignature)
      .hsetnx(key, 'webhookBody', toSign.webhookBody)
      .exec();
    if (stored?.[0]?.[1] === 1) await this.webhooks.schedule(jobId);
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
      startedAt: Math.floor(Number(job.dateStarted || 0)),
      finishedAt: Math.floor(Number(job.dateFinished || 0)),
    };
  }
}

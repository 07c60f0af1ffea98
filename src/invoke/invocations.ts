import type { JobRecord } from '../compute/jobs/record';
import { isTerminal, newJobId } from '../compute/jobs/record';
import type { JobStore } from '../compute/jobs/store';
import type { Core } from '../kernel/core';
import { Conflict, Forbidden, Gone, NotFound, PaymentRequired } from '../kernel/errors';
import type { FreeInvocation } from '../market/agreements/freeInvocation';
import { INVOKE_SERVICE_PROPERTY } from '../market/agreements/freeInvocation';
import type { AgreementLookup } from '../market/agreements/handoff';
import { checkPayload } from './payload';
import { checkedAddresses, webhookUrl } from './webhookTarget';
import type { ServiceRecord } from './record';
import type { ServiceRegistry } from './services';
import { invokeStatus, isoOf, parseOutput, sha256Hex, type InvokeStatus } from './status';

/** How long a free invocation may wait for its provider's runner before it expires in the queue. */
const FREE_QUEUE_WAIT_MS = 3600_000;

export interface InvocationAgreements extends AgreementLookup {
  recordFreeInvocation(invocation: FreeInvocation): Promise<string>;
}

/** One invocation: which service version it runs, for whom, under which agreement. */
export interface Invocation {
  jobId: string;
  serviceId: string;
  version: number;
  consumer: string;
  provider: string;
  agreementId: string;
  webhook: string;
  /** The invoke payload body as sent (JSON). */
  payload: string;
}

export interface StatusView {
  jobId: string;
  serviceId: string;
  status: InvokeStatus;
  statusText: string;
  createdAt: string | undefined;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

export interface ResultView {
  jobId: string;
  status: InvokeStatus;
  outputs: Record<string, unknown>;
  files: Array<{ name: string; size: number; sha256: string }>;
}

/**
 * Invocations of registered services: each is a compute job of the service's provider (created on the compute job
 * store as the dispatcher creates jobs, so the provider's runner runs it unchanged), under the caller's purchase
 * agreement or, for a free service, an agreement recorded for it. Status and result are the consumer's and the
 * provider's only; anyone else gets 404, as for an unknown job.
 */
export class InvocationService {
  constructor(
    private readonly core: Core,
    private readonly registry: ServiceRegistry,
    private readonly jobs: JobStore,
    private readonly agreements: InvocationAgreements,
  ) {}

  async invoke(caller: string, serviceId: string, purchaseToken: string | undefined, body: unknown): Promise<string> {
    const service = await this.registry.require(serviceId);
    if (service.state === 'retired') throw new Gone(`Service ${serviceId} is retired`);
    const payload = checkPayload(body, service.definition);
    if (payload.webhook)
      await checkedAddresses(webhookUrl(payload.webhook).hostname, this.core.config.webhookAllowPrivate);
    const { agreementId, validToMs } = await this.agreementFor(caller, service, purchaseToken);
    const jobId = newJobId();
    const { job } = service.definition;
    const entrypoint =
      job.entrypoint === undefined ? [] : Array.isArray(job.entrypoint) ? job.entrypoint : [job.entrypoint];
    const invocation: Invocation = {
      jobId,
      serviceId,
      version: service.version,
      consumer: caller,
      provider: service.provider,
      agreementId,
      webhook: payload.webhook ?? '',
      payload: JSON.stringify(body),
    };
    await this.core.redis.hset(this.core.keys.invocation(jobId), { ...invocation });
    await this.jobs.create({
      jobId,
      agreementId,
      owner: caller,
      provider: service.provider,
      validToMs,
      spec: {
        runtime: job.runtime,
        entrypoint,
        algorithm: job.algorithm,
        inputs: payload.files.map((f) => f.url),
        inputNames: payload.files.map((f) => f.name),
        maxDurationSeconds: job.maxDuration,
      },
    });
    this.core.metrics.invocations.inc({ kind: purchaseToken === undefined ? 'free' : 'paid' });
    return jobId;
  }

  /** The invocation and its job, for its consumer or provider; NotFound for anyone else. */
  async visible(caller: string, jobId: string): Promise<{ invocation: Invocation; job: JobRecord }> {
    const invocation = await this.get(jobId);
    const job = invocation && (await this.jobs.get(jobId));
    if (!invocation || !job || (caller !== invocation.consumer && caller !== invocation.provider))
      throw new NotFound(`Job ${jobId} not found`);
    return { invocation, job };
  }

  async get(jobId: string): Promise<Invocation | undefined> {
    if (!/^[0-9a-f]{32}$/.test(jobId)) return undefined;
    const raw = await this.core.redis.hgetall(this.core.keys.invocation(jobId));
    if (raw.jobId === undefined) return undefined;
    return { ...(raw as unknown as Invocation), version: Number(raw.version) };
  }

  /** The status; with a timeout, waits until it differs from `since` (default: the status when the call arrived). */
  async status(caller: string, jobId: string, timeoutMs = 0, signal?: AbortSignal): Promise<StatusView> {
    const { invocation, job } = await this.visible(caller, jobId);
    const initial = invokeStatus(job);
    if (timeoutMs <= 0 || isTerminal(job.status)) return this.renderStatus(invocation, job);
    const changed = await this.core.waiter.poll([this.core.keys.job(jobId)], timeoutMs, signal, async () => {
      const now = await this.jobs.get(jobId);
      return now && invokeStatus(now) !== initial ? now : undefined;
    });
    return this.renderStatus(invocation, changed ?? (await this.jobs.get(jobId)) ?? job);
  }

  /** Waits up to `timeoutMs` for the job to end; the result when it did, undefined otherwise. */
  async resultWhenEnded(
    caller: string,
    jobId: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ResultView | undefined> {
    await this.visible(caller, jobId);
    const ended = await this.core.waiter.poll([this.core.keys.job(jobId)], timeoutMs, signal, async () => {
      const job = await this.jobs.get(jobId);
      return job && isTerminal(job.status) ? job : undefined;
    });
    return ended ? this.result(caller, jobId) : undefined;
  }

  /** Declared outputs parsed by type and every result file with its size and sha256; 409 until the job ended. */
  async result(caller: string, jobId: string): Promise<ResultView> {
    const { invocation, job } = await this.visible(caller, jobId);
    if (!isTerminal(job.status)) throw new Conflict(`Job ${jobId} has not ended yet`);
    const service = await this.registry.get(invocation.serviceId, invocation.version);
    const declared = new Map((service?.definition.outputs ?? []).map((o) => [o.argname, o.type]));
    const outputs: Record<string, unknown> = {};
    const files: ResultView['files'] = [];
    for (const entry of job.results.filter((r) => r.type === 'output')) {
      const file = await this.jobs.readResult(job, entry.index);
      if (!file) continue;
      files.push({ name: entry.filename, size: file.bytes.length, sha256: sha256Hex(file.bytes) });
      const type = declared.get(entry.filename);
      if (type) outputs[entry.filename] = parseOutput(file.bytes, type);
    }
    files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { jobId, status: invokeStatus(job), outputs, files };
  }

  private renderStatus(invocation: Invocation, job: JobRecord): StatusView {
    const status = invokeStatus(job);
    const view: StatusView = {
      jobId: job.jobId,
      serviceId: invocation.serviceId,
      status,
      statusText: job.statusText,
      createdAt: isoOf(job.dateCreated),
    };
    const started = isoOf(job.dateStarted);
    if (started) view.startedAt = started;
    const finished = isoOf(job.dateFinished);
    if (finished) view.finishedAt = finished;
    if (status === 'Failed') view.error = job.reason || job.statusText;
    return view;
  }

  /** The agreement the job runs under: the caller's purchase agreement for this service, or a free one. */
  private async agreementFor(
    caller: string,
    service: ServiceRecord,
    token: string | undefined,
  ): Promise<{ agreementId: string; validToMs: number }> {
    if (token === undefined) {
      if (!service.definition.free)
        throw new PaymentRequired(`Service ${service.serviceId} is paid: give a purchase-token (an agreement id)`);
      const validToMs = Date.now() + FREE_QUEUE_WAIT_MS + service.definition.job.maxDuration * 1000;
      const agreementId = await this.agreements.recordFreeInvocation({
        requestor: caller,
        provider: service.provider,
        serviceId: service.serviceId,
        validToMs,
      });
      return { agreementId, validToMs };
    }
    const hex = token.toLowerCase();
    const view = /^[0-9a-f]{64}$/.test(hex) ? await this.agreements.computeView(hex) : undefined;
    const agreement = view?.agreement;
    if (!view || !agreement || agreement.requestorId !== caller || agreement.providerId !== service.provider)
      throw new Forbidden('The purchase-token is not an agreement of yours with this service provider');
    if (agreement.demandProperties[INVOKE_SERVICE_PROPERTY] !== service.serviceId)
      throw new Forbidden(`The purchase-token is not an agreement for service ${service.serviceId}`);
    if (view.state !== 'Approved' || agreement.validToMs <= Date.now())
      throw new Forbidden(`The purchase-token agreement is ${view.state === 'Approved' ? 'expired' : view.state}`);
    return { agreementId: hex, validToMs: agreement.validToMs };
  }
}

import type { Wallet } from 'ethers';
import type { Logger } from 'pino';
import { mintToken } from '../../auth/client';
import type { ClaimedJob, StatusReport, WatchState } from '../api/providerJobs';

export const PROVIDER_API = '/api/provider/v1';
const TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** Added to a long-poll's own timeout before the client gives up on the answer. */
const ANSWER_GRACE_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;

/** The API answered with an error status (a refusal, not an outage). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** No API instance could be reached (or all answered that they are unavailable). */
export class ApiUnreachable extends Error {}

interface Call {
  query?: Record<string, string | number>;
  json?: unknown;
  raw?: Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Statuses that mean "this instance cannot serve now": try the next one. */
const UNAVAILABLE = new Set([502, 503, 504]);

/**
 * The runner's HTTP client of the Bourse API (the provider job API and tokens), authenticated as its provider
 * identity. It knows several base URLs and moves to the next one when an instance does not answer, so no single
 * API instance stands in the runner's path.
 */
export class ProviderApiClient {
  private index = 0;
  private token: Promise<string> | undefined;

  constructor(
    private readonly urls: string[],
    private readonly wallet: Wallet,
    private readonly log: Logger,
  ) {}

  /** The base URL calls currently go to. */
  get baseUrl(): string {
    return this.urls[this.index % this.urls.length];
  }

  /** Moves to the next base URL if `from` is still the current one (several callers may notice one outage). */
  failover(from: string, why = 'no answer'): void {
    if (this.urls.length > 1 && this.baseUrl === from) {
      this.index = (this.index + 1) % this.urls.length;
      this.log.warn({ from, to: this.baseUrl, why }, 'API instance unreachable: failing over');
    }
  }

  /**
   * A token of the provider identity, minted through the nonce + signature flow once (one mint at a time: nonces
   * must grow) and again when refused.
   */
  bearer(renew = false): Promise<string> {
    if (renew) this.token = undefined;
    this.token ??= this.mint().catch((err: unknown) => {
      this.token = undefined;
      throw err;
    });
    return this.token;
  }

  private async mint(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const base = this.baseUrl;
      try {
        return await mintToken({ url: base, wallet: this.wallet, expiresInSeconds: TOKEN_LIFETIME_SECONDS });
      } catch (err) {
        const message = (err as Error).message;
        // mintToken says "Could not reach" when no answer came; any answer is the API's word, not an outage.
        if (!message.startsWith('Could not reach')) throw err;
        if (attempt + 1 >= this.urls.length) throw new ApiUnreachable(message);
        this.failover(base, message);
      }
    }
  }

  /** One call of the provider API (failover, token renewal); the typed calls below and activityRun.ts use it. */
  async send(method: string, path: string, call: Call = {}): Promise<{ status: number; body: unknown }> {
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      const base = this.baseUrl;
      const url = new URL(PROVIDER_API + path, base);
      for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, String(value));
      const timeout = AbortSignal.timeout(call.timeoutMs ?? REQUEST_TIMEOUT_MS);
      const headers: Record<string, string> = { authorization: `Bearer ${await this.bearer()}` };
      let body: string | Buffer | undefined;
      if (call.raw) {
        headers['content-type'] = 'application/octet-stream';
        body = call.raw;
      } else if (call.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(call.json);
      }
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body,
          signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
        });
      } catch (err) {
        if (call.signal?.aborted) throw err;
        if (attempt + 1 >= this.urls.length) throw new ApiUnreachable(`${url.origin}: ${(err as Error).message}`);
        this.failover(base, (err as Error).message);
        continue;
      }
      const text = await res.text();
      if (res.status === 401 && !renewed) {
        renewed = true;
        await this.bearer(true);
        attempt--;
        continue;
      }
      if (UNAVAILABLE.has(res.status)) {
        if (attempt + 1 >= this.urls.length) throw new ApiUnreachable(`${url.origin} answered ${res.status}`);
        this.failover(base, `answered ${res.status}`);
        continue;
      }
      const parsed: unknown = text === '' ? undefined : safeJson(text);
      if (res.status >= 400) {
        const message = (parsed as { message?: string } | undefined)?.message ?? text;
        throw new ApiError(res.status, `${method} ${path} answered ${res.status}: ${message}`);
      }
      return { status: res.status, body: parsed };
    }
  }

  /** Waits up to `waitSeconds` for the next job of this provider; undefined when none came. */
  async claim(
    runnerId: string,
    leaseMs: number,
    waitSeconds: number,
    signal?: AbortSignal,
  ): Promise<ClaimedJob | undefined> {
    const { status, body } = await this.send('POST', '/jobs/claim', {
      query: { timeout: waitSeconds },
      json: { runnerId, leaseMs },
      timeoutMs: waitSeconds * 1000 + ANSWER_GRACE_MS,
      signal,
    });
    return status === 204 ? undefined : (body as ClaimedJob);
  }

  /** The delivery proof to sign for an invocation job this claim ended; undefined when the job is no invocation. */
  async proofToSign(jobId: string, fence: number): Promise<TypedDataToSign | undefined> {
    const { status, body } = await this.send('GET', `/jobs/${jobId}/proof`, { query: { fence } });
    return status === 204 ? undefined : (body as TypedDataToSign);
  }

  /** Signs typed data with the provider key (EIP-712) and uploads it as the job's proof of delivery. */
  async signProof(jobId: string, fence: number, proof: TypedDataToSign): Promise<void> {
    const signature = await this.wallet.signTypedData(proof.domain, proof.types, proof.message);
    const webhookSignature =
      proof.webhookBody === undefined ? undefined : await this.wallet.signMessage(proof.webhookBody);
    await this.send('PUT', `/jobs/${jobId}/proof`, { json: { fence, signature, webhookSignature } });
  }

  /** Reports a status; answers whether a stop was requested meanwhile. */
  async report(jobId: string, report: StatusReport): Promise<{ stopRequested: boolean }> {
    const { body } = await this.send('POST', `/jobs/${jobId}/status`, { json: report });
    return body as { stopRequested: boolean };
  }

  async appendLog(jobId: string, fence: number, chunk: Buffer): Promise<void> {
    await this.send('POST', `/jobs/${jobId}/logs`, { query: { fence }, raw: chunk });
  }

  async uploadResult(
    jobId: string,
    fence: number,
    file: { index: number; filename: string; type: string; bytes: Buffer },
  ): Promise<void> {
    await this.send('PUT', `/jobs/${jobId}/results/${file.index}`, {
      query: { fence, filename: file.filename, type: file.type },
      raw: file.bytes,
      timeoutMs: 120_000,
    });
  }

  /** Uploads a file an activity's command published (`transfer` to `result:<name>`), under the claim's fence. */
  async publishActivityResult(activityId: string, fence: number, name: string, bytes: Buffer): Promise<void> {
    await this.send('PUT', `/activities/${activityId}/results/${encodeURIComponent(name)}`, {
      query: { fence },
      raw: bytes,
      timeoutMs: 120_000,
    });
  }

  async watch(jobId: string, fence: number, waitSeconds: number, signal?: AbortSignal): Promise<WatchState> {
    const { body } = await this.send('GET', `/jobs/${jobId}/watch`, {
      query: { fence, timeout: waitSeconds },
      timeoutMs: waitSeconds * 1000 + ANSWER_GRACE_MS,
      signal,
    });
    return (body as { state: WatchState }).state;
  }

  async release(jobId: string, fence: number): Promise<void> {
    await this.send('POST', `/jobs/${jobId}/release`, { json: { fence } });
  }

  async heartbeat(beat: Record<string, unknown>, timeoutMs: number): Promise<{ lost: string[] }> {
    const { body } = await this.send('POST', '/heartbeat', { json: beat, timeoutMs });
    return body as { lost: string[] };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface TypedDataToSign {
  domain: Record<string, string>;
  types: Record<string, Array<{ name: string; type: string }>>;
  message: Record<string, unknown>;
  /** The webhook body to sign too (EIP-191), when the consumer gave a webhook. */
  webhookBody?: string;
}

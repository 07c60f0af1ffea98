import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Core, Lifecycle } from '../kernel/core';
import { Periodic } from '../kernel/loops';
import { defineScript, outcome } from '../store/scripts';
import { guardedLookup, webhookUrl } from './webhookTarget';

const lua = (name: string): string => path.join(__dirname, 'lua', `${name}.lua`);

const claimScript = defineScript({
  name: 'invoke.webhookClaim',
  file: lua('webhook_claim'),
  keys: ['due', 'invocation'],
  args: ['jobId', 'now', 'leaseUntil'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return { code, attempt: Number(values[0] ?? 0) };
  },
});

const settleScript = defineScript({
  name: 'invoke.webhookSettle',
  file: lua('webhook_settle'),
  keys: ['due', 'invocation'],
  args: ['jobId', 'outcome', 'now', 'retryAt'],
  parse: (reply) => outcome(reply).code,
});

const MAX_ATTEMPTS = 8;
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const BATCH = 16;
export const SIGNATURE_HEADER = 'x-bourse-signature';
export const SIGNER_HEADER = 'x-bourse-signer';

/**
 * Invocation webhooks: when a job's proof is signed, the consumer's webhook URL gets a POST of the body the provider's
 * runner signed (EIP-191, in the `X-Bourse-Signature` header). Every API instance runs the delivery loop; each
 * attempt is claimed atomically (one instance at a time, never again once delivered), a failure is retried with
 * doubling delays, and every connection goes through a lookup that refuses private addresses unless allowed.
 */
export class WebhookService implements Lifecycle {
  private readonly loop: Periodic;

  constructor(private readonly core: Core) {
    this.loop = new Periodic('invoke webhooks', core.config.webhookRetryMs, () => this.deliverDue(), core.log);
  }

  /** Makes the delivery of an ended invocation due now (once: scheduling it again changes nothing). */
  async schedule(jobId: string): Promise<void> {
    await this.core.redis.zadd(this.core.keys.webhooksDue(), 'NX', Date.now(), jobId);
    void this.loop.tick();
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One round: every delivery due now, each attempted by whichever instance claims it. */
  async deliverDue(): Promise<void> {
    const now = Date.now();
    const due = await this.core.redis.zrangebyscore(this.core.keys.webhooksDue(), 0, now, 'LIMIT', 0, BATCH);
    await Promise.all(due.map((jobId) => this.attempt(jobId)));
  }

  private async attempt(jobId: string): Promise<void> {
    const k = this.core.keys;
    const keys = { due: k.webhooksDue(), invocation: k.invocation(jobId) };
    const now = Date.now();
    const claim = await this.core.scripts.call(claimScript, keys, {
      jobId,
      now,
      leaseUntil: now + ATTEMPT_TIMEOUT_MS * 2,
    });
    if (claim.code !== 'ok') return;
    const [url, body, signature, provider] = await this.core.redis.hmget(
      keys.invocation,
      'webhook',
      'webhookBody',
      'webhookSignature',
      'provider',
    );
    const delivered = url && body && signature ? await this.post(url, body, signature, provider ?? '') : false;
    const final = delivered ? 'delivered' : claim.attempt >= MAX_ATTEMPTS ? 'abandoned' : 'retry';
    const backoff = Math.min(MAX_BACKOFF_MS, this.core.config.webhookRetryMs * 2 ** (claim.attempt - 1));
    const settled = await this.core.scripts.call(settleScript, keys, {
      jobId,
      outcome: final,
      now: Date.now(),
      retryAt: Date.now() + backoff,
    });
    if (settled === 'ok') this.core.metrics.webhookDeliveries.inc({ outcome: final === 'retry' ? 'failed' : final });
  }

  /** One POST; true on a 2xx answer. Refused targets and network errors are failures (retried). */
  private async post(raw: string, body: string, signature: string, provider: string): Promise<boolean> {
    let url: URL;
    try {
      url = webhookUrl(raw);
    } catch {
      return false;
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<boolean>((resolve) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          lookup: guardedLookup(this.core.config.webhookAllowPrivate),
          timeout: ATTEMPT_TIMEOUT_MS,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            [SIGNATURE_HEADER]: signature,
            [SIGNER_HEADER]: provider,
          },
        },
        (response) => {
          response.resume();
          resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300);
        },
      );
      request.on('timeout', () => request.destroy(new Error('webhook timed out')));
      request.on('error', (err) => {
        this.core.log.debug({ err, url: url.origin }, 'webhook attempt failed');
        resolve(false);
      });
      request.end(body);
    });
  }
}

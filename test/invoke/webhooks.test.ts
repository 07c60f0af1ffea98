import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyMessage } from 'ethers';
import type { Runner } from '../../src/compute/runner/runner';
import { COMPUTE_API_ENV, startRunner, testPrefix } from '../compute/runner/support';
import { newParty, type Party } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';
import { until } from '../support/wait';
import { auth, INVOKE, sumService } from './fixtures';

interface Received {
  path: string;
  body: string;
  signature: string;
  answered: number;
}

/** A local webhook receiver: `/ok` answers 200, `/flaky` 500 twice then 200, `/slow` waits until released. */
class Receiver {
  readonly received: Received[] = [];
  /** Every request's path as it arrives, answered or not. */
  readonly arrivals: string[] = [];
  private flaky = 0;
  private waiters: Array<{ path: string; status: number; resolve: (r: Received) => void }> = [];
  releaseSlow: (() => void) | undefined;
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      this.arrivals.push(req.url ?? '');
      const answer = (status: number) => {
        const entry = {
          path: req.url ?? '',
          body,
          signature: String(req.headers['x-bourse-signature']),
          answered: status,
        };
        this.received.push(entry);
        res.writeHead(status).end();
        for (const w of this.waiters.filter((x) => x.path === entry.path && x.status === status)) w.resolve(entry);
      };
      if (req.url === '/flaky') answer(++this.flaky <= 2 ? 500 : 200);
      else if (req.url === '/slow') this.releaseSlow = () => answer(200);
      else answer(200);
      if (req.url === '/slow')
        for (const w of this.waiters.filter((x) => x.path === '/slow' && x.status === 0))
          w.resolve({ path: '/slow', body, signature: '', answered: 0 });
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** Resolves when `path` is answered with `status` (0: when a /slow request arrives). */
  next(path: string, status: number): Promise<Received> {
    return new Promise((resolve) => this.waiters.push({ path, status, resolve }));
  }
  successes(path: string): number {
    return this.received.filter((r) => r.path === path && r.answered === 200).length;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('invoke face: webhooks', () => {
  let t: TestInstance;
  let strict: TestInstance;
  let provider: Party;
  let consumer: Party;
  let runner: Runner;
  let receiver: Receiver;
  let base: string;
  let serviceId: string;

  beforeAll(async () => {
    const prefix = testPrefix();
    t = await startTestInstance({
      prefix,
      env: { ...COMPUTE_API_ENV, BOURSE_WEBHOOK_ALLOW_PRIVATE: 'true', BOURSE_WEBHOOK_RETRY_MS: '50' },
    });
    strict = await startTestInstance({ prefix });
    [provider, consumer] = await Promise.all([newParty(t), newParty(t)]);
    runner = await startRunner(t.url, { privateKey: provider.wallet.privateKey });
    receiver = new Receiver();
    base = await receiver.start();
    serviceId = (await t.request.post(`${INVOKE}/services`).set(auth(provider)).send(sumService()).expect(201)).body
      .serviceId;
  });
  afterAll(async () => {
    await runner.stop();
    await receiver.close();
    await strict.close();
    await t.close();
  });

  const invokeWith = (webhook: string, on = t) =>
    on.request
      .post(`${INVOKE}/${serviceId}`)
      .set(auth(consumer))
      .send({ inputs: { a: 2, b: 40 }, webhook });
  const invocation = (jobId: string) => t.instance.core.redis.hgetall(t.instance.core.keys.invocation(jobId));
  /** The receiver answers before the delivering loop records the outcome: wait for that record, not for a guess. */
  const recorded = (jobId: string) =>
    until(async () => (await invocation(jobId)).webhookOutcome !== undefined, 'the delivery outcome recorded');

  it('delivers once, signed by the provider', async () => {
    const delivered = receiver.next('/ok', 200);
    const { jobId } = (await invokeWith(`${base}/ok`).expect(201)).body;
    const got = await delivered;
    expect(JSON.parse(got.body)).toEqual({ jobId, serviceId, status: 'Completed' });
    expect(verifyMessage(got.body, got.signature).toLowerCase()).toBe(provider.address);
    await recorded(jobId);
    await t.instance.services.invoke.webhooks.deliverDue();
    expect(receiver.successes('/ok')).toBe(1);
    expect(await invocation(jobId)).toMatchObject({ webhookOutcome: 'delivered', webhookAttempts: '1' });
  });

  it('retries a receiver that fails twice: exactly one successful delivery', async () => {
    const delivered = receiver.next('/flaky', 200);
    const { jobId } = (await invokeWith(`${base}/flaky`).expect(201)).body;
    await delivered;
    await recorded(jobId);
    await Promise.all([1, 2, 3].map(() => t.instance.services.invoke.webhooks.deliverDue()));
    expect(receiver.received.filter((r) => r.path === '/flaky').map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(await invocation(jobId)).toMatchObject({ webhookOutcome: 'delivered', webhookAttempts: '3' });
    const due = await t.instance.core.redis.zscore(t.instance.core.keys.webhooksDue(), jobId);
    expect(due).toBeNull();
  });

  it('never attempts a delivery twice at once, across instances', async () => {
    const arrived = receiver.next('/slow', 0);
    const { jobId } = (await invokeWith(`${base}/slow`).expect(201)).body;
    await arrived;
    const other = await startTestInstance({
      prefix: t.config.keyPrefix,
      env: { BOURSE_WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
    try {
      await Promise.all([t, other, t, other].map((i) => i.instance.services.invoke.webhooks.deliverDue()));
    } finally {
      await other.close();
    }
    expect(receiver.arrivals.filter((p) => p === '/slow')).toHaveLength(1);
    const done = receiver.next('/slow', 200);
    receiver.releaseSlow!();
    await done;
    expect(receiver.successes('/slow')).toBe(1);
    await t.instance.services.invoke.webhooks.deliverDue();
    expect(receiver.successes('/slow')).toBe(1);
    expect(receiver.arrivals.filter((p) => p === '/slow')).toHaveLength(1);
    expect((await invocation(jobId)).webhookAttempts).toBe('1');
  });

  it.each([
    'http://127.0.0.1:9/x',
    'http://localhost:9/x',
    'http://[::1]:9/x',
    'http://169.254.169.254/',
    'http://10.1.2.3/',
  ])('refuses the private webhook %s by default: 400, no job', async (webhook) => {
    const before = (await t.instance.services.compute.store.listForParty(consumer.address)).length;
    const res = await invokeWith(webhook, strict).expect(400);
    expect(res.body.message).toContain('webhook');
    expect((await t.instance.services.compute.store.listForParty(consumer.address)).length).toBe(before);
  });
});

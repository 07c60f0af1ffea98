import { INVOKE_SERVICE_PROPERTY } from '../../src/market/agreements/freeInvocation';
import { ProviderTestClient } from '../compute/api/providerClient';
import { writeAgreement } from '../compute/api/fixtures';
import type { Party } from '../support/identities';
import type { TestInstance } from '../support/instance';
import { send } from '../support/wait';
import { auth, INVOKE, startInvokeWorld, sumService } from './fixtures';

/**
 * Invocation, status and result against jobs driven by a stand-in runner over the provider job API (the calls a real
 * runner makes), so each status can be placed exactly; test/invoke/e2e.test.ts runs a real runner.
 */
describe('invoke face: invocation, status, result', () => {
  let t: TestInstance;
  let provider: Party;
  let consumer: Party;
  let stranger: Party;
  let runner: ProviderTestClient;

  beforeAll(async () => {
    ({ t, provider, consumer, stranger, runner } = await startInvokeWorld());
  });
  afterAll(() => t.close());

  async function register(overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await t.request.post(`${INVOKE}/services`).set(auth(provider)).send(sumService(overrides)).expect(201);
    return res.body.serviceId as string;
  }
  const invoke = (serviceId: string, body: unknown, party = consumer) =>
    t.request
      .post(`${INVOKE}/${serviceId}`)
      .set(auth(party))
      .send(body as object);
  const jobCount = async (party: Party) => (await t.instance.services.compute.store.listForParty(party.address)).length;

  it('creates a job of the provider, with the payload as files, under a recorded free agreement', async () => {
    const serviceId = await register();
    const res = await invoke(serviceId, { inputs: { a: 2, b: 40, label: 'x' } }).expect(201);
    const job = (await t.instance.services.compute.store.get(res.body.jobId))!;
    expect(job).toMatchObject({ owner: consumer.address, provider: provider.address, status: 1 });
    expect(job.spec.inputNames).toEqual(['invoke.json', 'a', 'b', 'label']);
    const files = job.spec.inputs.map((url) => Buffer.from(url.split(',')[1], 'base64').toString());
    expect(JSON.parse(files[0])).toEqual({ inputs: { a: 2, b: 40, label: 'x' }, config: {} });
    expect(files.slice(1)).toEqual(['2', '40', 'x']);
    const agreement = await t.instance.services.agreements.get(consumer.address, job.agreementId);
    expect(agreement).toMatchObject({
      state: 'Approved',
      demand: { properties: { [INVOKE_SERVICE_PROPERTY]: serviceId } },
    });
  });

  it.each([
    ['a missing mandatory argument', { inputs: { a: 2 } }, "'b'"],
    ['an unknown argument', { inputs: { a: 2, b: 40, c: 1 } }, "'c'"],
    ['a wrong type', { inputs: { a: '2', b: 40 } }, "'a'"],
    ['an oversized argument', { inputs: { a: 2, b: 40, label: 'x'.repeat(70_000) } }, "'label'"],
    ['an unknown config option', { inputs: { a: 2, b: 40 }, config: { speed: 1 } }, "'speed'"],
    ['a non-http webhook', { inputs: { a: 2, b: 40 }, webhook: 'file:///etc/passwd' }, 'webhook'],
  ])('refuses %s: 400 naming it, no job', async (_what, body, named) => {
    const serviceId = await register();
    const before = await jobCount(consumer);
    const res = await invoke(serviceId, body).expect(400);
    expect(res.body.message).toContain(named);
    expect(await jobCount(consumer)).toBe(before);
  });

  it('refuses a paid service without a token (402) or with a foreign one (403); runs it with the right one', async () => {
    const serviceId = await register({ free: false });
    const otherService = await register({ free: false });
    const body = { inputs: { a: 2, b: 40 } };
    const before = await jobCount(consumer);
    await invoke(serviceId, body).expect(402);
    const forService = (id: string, requestor: Party) =>
      writeAgreement(t.instance.core, {
        requestor: requestor.address,
        provider: provider.address,
        demandProperties: { [INVOKE_SERVICE_PROPERTY]: id },
      });
    const strangers = await forService(serviceId, stranger);
    const otherServices = await forService(otherService, consumer);
    const mine = await forService(serviceId, consumer);
    for (const token of [strangers, otherServices, 'not-an-agreement'])
      await t.request
        .post(`${INVOKE}/${serviceId}`)
        .query({ 'purchase-token': token })
        .set(auth(consumer))
        .send(body)
        .expect(403);
    expect(await jobCount(consumer)).toBe(before);
    const res = await t.request
      .post(`${INVOKE}/${serviceId}`)
      .query({ 'purchase-token': mine })
      .set(auth(consumer))
      .send(body)
      .expect(201);
    expect((await t.instance.services.compute.store.get(res.body.jobId))!.agreementId).toBe(mine);
  });

  it('refuses a retired service with 410 and an unknown one with 404', async () => {
    const serviceId = await register();
    await t.request.delete(`${INVOKE}/services/${serviceId}`).set(auth(provider)).expect(200);
    const before = await jobCount(consumer);
    await invoke(serviceId, { inputs: { a: 2, b: 40 } }).expect(410);
    await invoke(`svc-${'0'.repeat(32)}`, { inputs: { a: 2, b: 40 } }).expect(404);
    expect(await jobCount(consumer)).toBe(before);
  });

  it('long-polled status returns because the status changed; result is 409 until the end, then parsed', async () => {
    const serviceId = await register();
    const { jobId } = (await invoke(serviceId, { inputs: { a: 2, b: 40 } }).expect(201)).body;
    const status = await t.request.get(`${INVOKE}/${jobId}/status`).set(auth(consumer)).expect(200);
    expect(status.body).toMatchObject({ jobId, serviceId, status: 'Started' });
    expect(status.body.startedAt).toBeUndefined();
    await t.request.get(`${INVOKE}/${jobId}/result`).set(auth(consumer)).expect(409);

    const polled = send(t.request.get(`${INVOKE}/${jobId}/status`).query({ timeout: 30 }).set(auth(consumer)));
    const fence = await runner.claim(jobId);
    await runner.report(jobId, fence, 10); // still Started: the poll must not return for it
    for (const code of [20, 30, 40]) await runner.report(jobId, fence, code);
    const changed = await polled;
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ status: 'Inprogress', startedAt: expect.any(String) });

    const ended = send(t.request.get(`${INVOKE}/${jobId}/status`).query({ timeout: 30 }).set(auth(provider)));
    await runner.finish(
      jobId,
      fence,
      [
        { filename: 'algorithm.log', type: 'algorithmLog', bytes: Buffer.from('log\n') },
        { filename: 'sum', type: 'output', bytes: Buffer.from('42\n') },
        { filename: 'extra.txt', type: 'output', bytes: Buffer.from('more') },
      ],
      { exitCode: 0 },
    );
    expect((await ended).body).toMatchObject({ status: 'Completed', finishedAt: expect.any(String) });
    const result = (await t.request.get(`${INVOKE}/${jobId}/result`).set(auth(consumer)).expect(200)).body;
    expect(result.outputs).toEqual({ sum: 42 });
    expect(result.files.map((f: { name: string; size: number }) => [f.name, f.size])).toEqual([
      ['extra.txt', 4],
      ['sum', 3],
    ]);
  });

  it('keeps the version a job started with when the service is updated meanwhile', async () => {
    const serviceId = await register();
    const { jobId } = (await invoke(serviceId, { inputs: { a: 2, b: 40 } }).expect(201)).body;
    const v2 = sumService({ outputs: [{ argname: 'sum', type: 'string' }] });
    await t.request.put(`${INVOKE}/services/${serviceId}`).set(auth(provider)).send(v2).expect(200);
    const fence = await runner.runTo40(jobId);
    const files = [{ filename: 'sum', type: 'output', bytes: Buffer.from('42') }];
    await runner.finish(jobId, fence, files, { exitCode: 0 });
    const result = (await t.request.get(`${INVOKE}/${jobId}/result`).set(auth(consumer)).expect(200)).body;
    expect(result.outputs).toEqual({ sum: 42 }); // v1 declares a number; v2 would answer the text '42'
    const { jobId: later } = (await invoke(serviceId, { inputs: { a: 2, b: 40 } }).expect(201)).body;
    expect((await t.instance.services.invoke.invocations.get(later))?.version).toBe(2);
  });

  it('hides status and result from a stranger (404)', async () => {
    const serviceId = await register();
    const { jobId } = (await invoke(serviceId, { inputs: { a: 2, b: 40 } }).expect(201)).body;
    await t.request.get(`${INVOKE}/${jobId}/status`).set(auth(stranger)).expect(404);
    await t.request.get(`${INVOKE}/${jobId}/result`).set(auth(stranger)).expect(404);
    await t.request.get(`${INVOKE}/${jobId}/status`).expect(401);
  });

  it('answers a sync invocation that does not end in time with 202 and the job id', async () => {
    const serviceId = await register();
    const res = await t.request
      .post(`${INVOKE}/${serviceId}`)
      .query({ mode: 'sync', timeout: 0.2 })
      .set(auth(consumer))
      .send({ inputs: { a: 2, b: 40 } })
      .expect(202);
    expect(res.body.jobId).toMatch(/^[0-9a-f]{32}$/);
  });
});

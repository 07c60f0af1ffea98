import { Dispatcher } from '../../../src/compute/api/dispatcher';
import { firstJobId } from '../../../src/compute/jobs/record';
import type { JobStore } from '../../../src/compute/jobs/store';
import type { Core } from '../../../src/kernel/core';
import { newParty, Party } from '../../support/identities';
import { startTestInstance, TestInstance } from '../../support/instance';
import { ECHO_SPEC, handoffOf, writeAgreement } from './fixtures';

const API = '/api/services';

/** POST /api/services/compute: further jobs under an approved agreement, for its requestor only. */
describe('compute endpoints: further jobs (POST compute)', () => {
  let t: TestInstance;
  let core: Core;
  let jobs: JobStore;
  let requestor: Party;
  let provider: Party;
  let stranger: Party;

  beforeAll(async () => {
    t = await startTestInstance();
    core = t.instance.core;
    jobs = t.instance.services.compute.store;
    [requestor, provider, stranger] = await Promise.all([newParty(t), newParty(t), newParty(t)]);
  });
  afterAll(() => t.close());

  /** An approved agreement and its first job, dispatched directly (the stream path is dispatch.test's). */
  async function agreementWithJob(): Promise<{ hex: string; jobId: string }> {
    const hex = await writeAgreement(core, { requestor: requestor.address, provider: provider.address });
    const noLookup = { computeView: async () => undefined };
    const jobId = (await new Dispatcher(core, jobs, noLookup).dispatchApproved(handoffOf(hex)))!;
    return { hex, jobId };
  }

  const auth = (p: Party) => ({ Authorization: `Bearer ${p.token}` });

  it('POST compute starts a further job under the agreement, with Ocean overrides', async () => {
    const { hex } = await agreementWithJob();
    const res = await t.request
      .post(`${API}/compute`)
      .set(auth(requestor))
      .send({
        agreementId: hex.toUpperCase(),
        algorithm: { meta: { rawcode: 'echo hi > outputs/x', container: { entrypoint: 'sh $ALGO' } } },
        dataset: { url: 'data:,z' },
      });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    const jobId = res.body[0].jobId as string;
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    expect(jobId).not.toBe(firstJobId(hex));
    expect(res.body[0]).toMatchObject({ agreementId: hex, documentId: hex, owner: requestor.address, status: 1 });
    expect((await jobs.get(jobId))!.spec).toEqual({
      ...ECHO_SPEC,
      algorithm: 'echo hi > outputs/x',
      inputs: ['data:,z'],
    });
    expect(await core.redis.smembers(core.keys.agreementJobs(hex))).toHaveLength(2);
  });

  it('POST compute refuses strangers, unapproved agreements and bad input with 4xx, creating nothing', async () => {
    const { hex } = await agreementWithJob();
    const pending = await writeAgreement(core, {
      requestor: requestor.address,
      provider: provider.address,
      state: 'Pending',
    });
    const post = (p: Party, body: unknown) =>
      t.request
        .post(`${API}/compute`)
        .set(auth(p))
        .send(body as object);
    const cases: Array<[Party, unknown, number, string]> = [
      [stranger, { agreementId: hex }, 404, 'not found'],
      [provider, { agreementId: hex }, 404, 'not found'],
      [requestor, { agreementId: pending }, 409, 'is Pending, not Approved'],
      [requestor, {}, 400, "must have required property 'agreementId'"],
      [requestor, { agreementId: 'nothex' }, 404, 'not found'],
      [
        requestor,
        { agreementId: hex, algorithm: { meta: { container: { entrypoint: 'bash $ALGO' } } } },
        400,
        'command "bash" is not allowed',
      ],
      [
        requestor,
        { agreementId: hex, dataset: { url: 'file:///etc/passwd' } },
        400,
        'dataset.url must be an http:, https: or data: URL',
      ],
      [requestor, { agreementId: hex, maxJobDuration: 3600 }, 400, 'must not exceed'],
      [requestor, { agreementId: hex, maxJobDuration: 'long' }, 400, 'maxJobDuration'],
    ];
    for (const [party, body, status, message] of cases) {
      const res = await post(party, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.message).toContain(message);
      expect(res.body.error).toBe(res.body.message);
    }
    expect(await core.redis.smembers(core.keys.agreementJobs(hex))).toHaveLength(1);
    expect(await core.redis.smembers(core.keys.agreementJobs(pending))).toHaveLength(0);
  });
});

import { verifyTypedData } from 'ethers';
import type { Runner } from '../../src/compute/runner/runner';
import { COMPUTE_API_ENV, startRunner } from '../compute/runner/support';
import { newParty, type Party } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';
import { until } from '../support/wait';
import { auth, INVOKE, sumService } from './fixtures';

/** Register → invoke → a real runner (over HTTP, in the sandbox) runs the algorithm → status, result. */
describe('invoke face end to end with a real runner', () => {
  let t: TestInstance;
  let provider: Party;
  let consumer: Party;
  let runner: Runner;
  let serviceId: string;

  beforeAll(async () => {
    t = await startTestInstance({ env: COMPUTE_API_ENV });
    [provider, consumer] = await Promise.all([newParty(t), newParty(t)]);
    runner = await startRunner(t.url, { privateKey: provider.wallet.privateKey });
    const res = await t.request.post(`${INVOKE}/services`).set(auth(provider)).send(sumService()).expect(201);
    serviceId = res.body.serviceId;
  });
  afterAll(async () => {
    await runner.stop();
    await t.close();
  });

  it('invokes {a: 2, b: 40}: status reaches Completed, outputs.sum is 42', async () => {
    const { jobId } = (
      await t.request
        .post(`${INVOKE}/${serviceId}`)
        .set(auth(consumer))
        .send({ inputs: { a: 2, b: 40 } })
        .expect(201)
    ).body;
    let status = 'Started';
    for (let polls = 0; status !== 'Completed' && status !== 'Failed' && polls < 20; polls += 1)
      status = (await t.request.get(`${INVOKE}/${jobId}/status`).query({ timeout: 10 }).set(auth(consumer))).body
        .status;
    expect(status).toBe('Completed');
    const result = (await t.request.get(`${INVOKE}/${jobId}/result`).set(auth(consumer)).expect(200)).body;
    expect(result.outputs.sum).toBe(42);
    expect(result.files).toEqual([{ name: 'sum', size: 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);

    // The runner signs the proof just after its final report; nothing announces the upload, so poll for it.
    const proofOf = () => t.request.get(`${INVOKE}/proof`).query({ 'job-id': jobId }).set(auth(consumer));
    await until(async () => (await proofOf()).status === 200, 'the proof signed by the runner');
    const proof = (await proofOf()).body;
    expect(verifyTypedData(proof.domain, proof.types, proof.message, proof.signature).toLowerCase()).toBe(
      provider.address,
    );
    expect(proof.message).toMatchObject({ jobId, status: 'Completed', consumer: consumer.address });
  });

  it('answers the result directly in sync mode', async () => {
    const res = await t.request
      .post(`${INVOKE}/${serviceId}`)
      .query({ mode: 'sync', timeout: 30 })
      .set(auth(consumer))
      .send({ inputs: { a: 1, b: 2 } })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'Completed', outputs: { sum: 3 } });
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet, verifyTypedData } from 'ethers';
import { ProviderTestClient, PROVIDER_API } from '../compute/api/providerClient';
import { runCli } from '../support/cli';
import type { Party } from '../support/identities';
import type { TestInstance } from '../support/instance';
import { auth, INVOKE, startInvokeWorld, sumService } from './fixtures';

/** The proof of delivery: built by the API, signed with the provider's key, verifiable offline. */
describe('invoke face: proof of delivery', () => {
  let t: TestInstance;
  let provider: Party;
  let consumer: Party;
  let stranger: Party;
  let runner: ProviderTestClient;

  beforeAll(async () => {
    ({ t, provider, consumer, stranger, runner } = await startInvokeWorld());
  });
  afterAll(() => t.close());

  /** An invocation ended by the stand-in runner; returns the job id and the fence of the claim that ended it. */
  async function endedInvocation(): Promise<{ jobId: string; fence: number }> {
    const serviceId = (await t.request.post(`${INVOKE}/services`).set(auth(provider)).send(sumService()).expect(201))
      .body.serviceId;
    const { jobId } = (
      await t.request
        .post(`${INVOKE}/${serviceId}`)
        .set(auth(consumer))
        .send({ inputs: { a: 2, b: 40 } })
        .expect(201)
    ).body;
    const fence = await runner.runTo40(jobId);
    const files = [{ filename: 'sum', type: 'output', bytes: Buffer.from('42') }];
    await runner.finish(jobId, fence, files, { exitCode: 0 });
    return { jobId, fence };
  }

  const toSign = (jobId: string, fence: number) =>
    t.request.get(`${PROVIDER_API}/jobs/${jobId}/proof`).query({ fence }).set(auth(provider));
  const upload = (jobId: string, fence: number, signature: string) =>
    t.request.put(`${PROVIDER_API}/jobs/${jobId}/proof`).set(auth(provider)).send({ fence, signature });

  it('stores only a signature by the provider; the proof verifies and any changed field breaks it', async () => {
    const { jobId, fence } = await endedInvocation();
    await t.request.get(`${INVOKE}/proof`).query({ 'job-id': jobId }).set(auth(consumer)).expect(409);
    const typed = (await toSign(jobId, fence).expect(200)).body;
    const forged = await Wallet.createRandom().signTypedData(typed.domain, typed.types, typed.message);
    await upload(jobId, fence, forged).expect(403);
    await t.request.get(`${INVOKE}/proof`).query({ 'job-id': jobId }).set(auth(consumer)).expect(409);
    await toSign(jobId, fence + 1).expect(409);
    const signature = await provider.wallet.signTypedData(typed.domain, typed.types, typed.message);
    await upload(jobId, fence, signature).expect(204);

    const proof = (await t.request.get(`${INVOKE}/proof`).query({ 'job-id': jobId }).set(auth(consumer)).expect(200))
      .body;
    expect(proof).toMatchObject({
      domain: { name: 'Bourse', version: '1' },
      primaryType: 'DeliveryProof',
      signer: provider.address,
      message: { jobId, consumer: consumer.address, provider: provider.address, status: 'Completed' },
    });
    expect(proof.message.startedAt).toBeGreaterThan(0);
    expect(proof.message.startedAt).toBeLessThanOrEqual(proof.message.finishedAt);
    const recover = (message: Record<string, unknown>) =>
      verifyTypedData(proof.domain, proof.types, message, proof.signature).toLowerCase();
    expect(recover(proof.message)).toBe(provider.address);
    for (const field of Object.keys(proof.message)) {
      const value = proof.message[field];
      const changed =
        typeof value === 'number'
          ? value + 1
          : /^0x[0-9a-f]{40}$/i.test(value)
            ? stranger.address
            : /^0x[0-9a-f]{64}$/i.test(value)
              ? `0x${'1'.repeat(64)}`
              : `${value}x`;
      expect(recover({ ...proof.message, [field]: changed })).not.toBe(provider.address);
    }
    await t.request.get(`${INVOKE}/proof`).query({ 'job-id': jobId }).set(auth(stranger)).expect(404);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bourse-proof-')), 'proof.json');
    fs.writeFileSync(file, JSON.stringify(proof));
    const verified = await runCli(['verify-proof', file]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`signer: ${provider.address}`);
    expect(verified.stdout).toContain(`jobId: ${jobId}`);
    fs.writeFileSync(file, JSON.stringify({ ...proof, message: { ...proof.message, status: 'Failed' } }));
    expect((await runCli(['verify-proof', file])).code).toBe(1);
  });
});

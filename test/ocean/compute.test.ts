import fs from 'node:fs';
import path from 'node:path';
import {
  LoggerInstance,
  LogLevel,
  ProviderInstance,
  type ComputeAlgorithm,
  type ComputeAsset,
  type ComputeJob,
} from '@oceanprotocol/lib';
import { Wallet } from 'ethers';
import { oceanExample } from '../../examples/ocean';
import type { JobSpec } from '../../src/compute/jobs/record';
import { newParty, Party } from '../support/identities';
import { startOceanWorld, OceanWorld } from '../support/oceanWorld';

const API = '/api/services';
const AGREED: JobSpec = {
  runtime: 'node',
  entrypoint: ['node', '$ALGO'],
  algorithm: 'console.log("agreed job")',
  inputs: [],
  maxDurationSeconds: 120,
};
/** Copies the first input to the output `out`, so the result's bytes are known exactly. */
const COPY = "require('fs').copyFileSync(process.env.INPUTS + '/0', process.env.OUTPUTS + '/out');";

const firstJob = (answer: ComputeJob | ComputeJob[]): ComputeJob => (Array.isArray(answer) ? answer[0] : answer);
const algorithm = (rawcode: string): ComputeAlgorithm =>
  ({
    meta: { rawcode, container: { entrypoint: 'node $ALGO', image: 'node', tag: 'lts', checksum: '' } },
  }) as ComputeAlgorithm;
const order = (agreementId: string, url?: string): ComputeAsset =>
  ({
    documentId: agreementId,
    serviceId: 'compute',
    transferTxId: agreementId,
    ...(url ? { fileObject: { type: 'url', url, method: 'get' } } : {}),
  }) as ComputeAsset;

/**
 * ocean.js (ProviderInstance, unchanged) runs jobs on Bourse: an agreement negotiated with ya-ts-client is the Ocean
 * order; a real runner runs the jobs.
 */
describe('ocean.js jobs on Bourse', () => {
  let world: OceanWorld;
  let node: string;
  let env: string;
  let owner: Party;
  let agreementId: string;

  beforeAll(async () => {
    LoggerInstance.setLevel(LogLevel.None); // the refusals these tests provoke are asserted, not logged
    world = await startOceanWorld();
    node = world.t.url;
    owner = await newParty(world.t);
    agreementId = await world.approvedAgreement(owner, AGREED);
    env = (await ProviderInstance.getComputeEnvironments(node))[0].id;
  }, 60_000);
  afterAll(() => world.close());

  /** Asks ocean.js for the job's status until it is finished (the status route has no long-poll). */
  async function awaitFinished(signer: Wallet | string, jobId: string): Promise<ComputeJob> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const job = firstJob(await ProviderInstance.computeStatus(node, signer, jobId));
      if (job.dateFinished) return job;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${jobId} did not finish`);
  }

  it('the README example runs: start, status to 70, result bytes, stop of a slow job', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const outcome = await oceanExample(node, Wallet.createRandom() as unknown as Wallet, (line) => lines.push(line));
    expect(outcome.job.status).toBe(70);
    expect(outcome.output.toString()).toBe('hello ocean');
    expect(outcome.stopped).toMatchObject({ stopRequested: true });
    expect(outcome.stopped.dateFinished).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(60_000); // the slow job would run 120 s
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const example = fs.readFileSync(path.join(__dirname, '../../examples/ocean.ts'), 'utf8');
    const block = /## ocean\.js[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const source = /\/\/ --- ocean\.js example.*\n([\s\S]*?)\/\/ --- end of the ocean\.js example/.exec(example)?.[1];
    expect(source).toBeDefined();
    expect(block).toBe(source);
  }, 90_000);

  it('computeStart with a signer → status 70 → getComputeResultUrl + fetch returns the exact bytes', async () => {
    const bytes = 'bytes from a signer';
    const answer = await ProviderInstance.computeStart(
      node,
      owner.wallet,
      env,
      [order(agreementId, `data:,${encodeURIComponent(bytes)}`)],
      algorithm(COPY),
      60,
      '',
      [],
      0,
    );
    const started = firstJob(answer);
    expect(started).toMatchObject({ owner: owner.address, agreementId });
    const job = await awaitFinished(owner.wallet, started.jobId);
    expect(job).toMatchObject({ status: 70, statusText: 'Job finished' });
    const output = job.results.find((r) => r.type === 'output')!;
    const url = await ProviderInstance.getComputeResultUrl(node, owner.wallet, job.jobId, output.index!);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe(bytes);
  }, 40_000);

  it('computeStart and freeCompute with an auth token; the result URL then needs the token', async () => {
    const token = owner.token; // minted by Bourse: it carries the address claim ocean.js reads
    const bytes = 'bytes for a token';
    const dataset = order(agreementId, `data:,${encodeURIComponent(bytes)}`);
    const paid = firstJob(
      await ProviderInstance.computeStart(node, token, env, [dataset], algorithm(COPY), 60, '', [], 0),
    );
    const free = firstJob(await ProviderInstance.freeComputeStart(node, token, env, [dataset], algorithm(COPY)));
    for (const { jobId } of [paid, free]) {
      const job = await awaitFinished(token, jobId);
      expect(job.status).toBe(70);
      const url = await ProviderInstance.getComputeResultUrl(node, token, jobId, 1);
      expect(url).not.toContain('signature'); // ocean.js puts no credentials in a token-mode URL
      expect((await fetch(url)).status).toBe(401);
      const res = await fetch(url, { headers: { Authorization: token } });
      expect(Buffer.from(await res.arrayBuffer()).toString()).toBe(bytes);
    }
  }, 60_000);

  it('computeStreamableLogs follows a running job live; computeStop ends the job and the stream', async () => {
    const sleeper = "console.log('streamed line'); setTimeout(() => console.log('never'), 120000);";
    const job = firstJob(
      await ProviderInstance.computeStart(
        node,
        owner.wallet,
        env,
        [order(agreementId)],
        algorithm(sleeper),
        100,
        '',
        [],
        0,
      ),
    );
    const stream = (await ProviderInstance.computeStreamableLogs(node, owner.wallet, job.jobId)) as AsyncIterable<
      Uint8Array | string
    >;
    let text = '';
    let stopped: Promise<unknown> | undefined;
    for await (const chunk of stream) {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      if (!stopped && text.includes('streamed line'))
        stopped = ProviderInstance.computeStop(job.jobId, node, owner.wallet);
    }
    await stopped;
    expect(text).toContain('streamed line');
    expect(text).not.toContain('never');
    expect(await awaitFinished(owner.wallet, job.jobId)).toMatchObject({ stopRequested: true });
  }, 40_000);

  it('initializeCompute answers the agreement as the valid order, at its price', async () => {
    const answer = await ProviderInstance.initializeCompute(
      [order(agreementId)],
      algorithm(COPY),
      env,
      '',
      60,
      node,
      owner.wallet.address,
      [],
      0,
    );
    expect(answer).toMatchObject({
      algorithm: { validOrder: agreementId, consumerAddress: world.provider },
      datasets: [{ validOrder: agreementId }],
      payment: { payee: world.provider, amount: expect.stringMatching(/^\d+(\.\d+)?(e-?\d+)?$/) },
    });
    // Someone else naming the agreement gets nothing.
    const res = await world.t.request
      .post(`${API}/initializeCompute`)
      .send({ datasets: [order(agreementId)], consumerAddress: Wallet.createRandom().address });
    expect(res.status).toBe(404);
    // An order that is not an agreement id (an Ocean DID) names nothing.
    const did = await world.t.request
      .post(`${API}/initializeCompute`)
      .send({ datasets: [{ documentId: 'did:op:abc' }], consumerAddress: owner.wallet.address });
    expect(did.status).toBe(404);
  });

  it('Ocean orders Bourse cannot run are clear 400s that start nothing', async () => {
    const before = (await world.t.request.get(`${API}/compute`).set('Authorization', owner.token)).body.length;
    const byDid = { documentId: 'did:op:1234', serviceId: 'compute' } as ComputeAlgorithm;
    const cases: Array<[object, string]> = [
      [{ datasets: [order(agreementId)], algorithm: byDid }, 'cannot resolve an algorithm DID'],
      [
        { datasets: [{ serviceId: 'compute' }], algorithm: algorithm(COPY) },
        "must have required property 'agreementId'",
      ],
      [{ algorithm: algorithm(COPY) }, "must have required property 'agreementId'"],
    ];
    for (const [body, message] of cases) {
      const res = await world.t.request.post(`${API}/compute`).set('Authorization', owner.token).send(body);
      expect([res.status, res.body.message]).toEqual([400, expect.stringContaining(message)]);
    }
    const after = (await world.t.request.get(`${API}/compute`).set('Authorization', owner.token)).body.length;
    expect(after).toBe(before);
  });

  it('unsigned status (ocean.js with a signer): one job, for its owner’s address only, no bytes', async () => {
    const [job] = (await world.t.request.get(`${API}/compute`).set('Authorization', owner.token)).body;
    const anonymous = (query: Record<string, string>) => world.t.request.get(`${API}/compute`).query(query);
    const own = await anonymous({ consumerAddress: owner.wallet.address, jobId: job.jobId });
    expect(own.status).toBe(200);
    expect(own.body).toEqual([expect.objectContaining({ jobId: job.jobId, status: job.status })]);
    // Another address naming the job, and listing without a job id, get nothing.
    expect((await anonymous({ consumerAddress: Wallet.createRandom().address, jobId: job.jobId })).status).toBe(404);
    expect((await anonymous({ consumerAddress: owner.wallet.address })).status).toBe(401);
    // Results and logs always need a signature or token.
    const result = await world.t.request
      .get(`${API}/computeResult`)
      .query({ consumerAddress: owner.wallet.address, jobId: job.jobId, index: 0 });
    expect(result.status).toBe(401);
  });

  it('a stranger’s ocean.js calls on someone else’s job and agreement: 403/404, nothing leaked', async () => {
    const bytes = 'secret bytes';
    const job = firstJob(
      await ProviderInstance.computeStart(
        node,
        owner.token,
        env,
        [order(agreementId, `data:,${encodeURIComponent(bytes)}`)],
        algorithm(COPY),
        60,
        '',
        [],
        0,
      ),
    );
    await awaitFinished(owner.token, job.jobId);
    const stranger = Wallet.createRandom() as unknown as Wallet;
    const strangerToken = await ProviderInstance.generateAuthToken(stranger, node);
    for (const signer of [stranger, strangerToken]) {
      await expect(ProviderInstance.computeStatus(node, signer, job.jobId)).rejects.toThrow('not found');
      await expect(ProviderInstance.computeStop(job.jobId, node, signer)).rejects.toThrow('not found');
      await expect(
        ProviderInstance.computeStart(node, signer, env, [order(agreementId)], algorithm(COPY), 60, '', [], 0),
      ).rejects.toThrow('not found');
      const url = await ProviderInstance.getComputeResultUrl(node, signer, job.jobId, 1);
      const res = await fetch(url, typeof signer === 'string' ? { headers: { Authorization: signer } } : {});
      const text = await res.text();
      expect(res.status).toBe(404);
      expect(text).not.toContain(bytes);
    }
    // A stranger naming the owner's address with their own token is refused outright.
    const named = await world.t.request
      .get(`${API}/compute`)
      .query({ consumerAddress: owner.wallet.address, jobId: job.jobId })
      .set('Authorization', strangerToken);
    expect(named.status).toBe(403);
    // The owner's job is untouched.
    const mine = firstJob(await ProviderInstance.computeStatus(node, owner.token, job.jobId));
    expect(mine).toMatchObject({ status: 70, stopRequested: false });
  }, 40_000);
});

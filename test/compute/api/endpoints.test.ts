import { createHash } from 'node:crypto';
import http from 'node:http';
import { signOceanMessage } from '../../../src/auth/signatures';
import { Dispatcher } from '../../../src/compute/api/dispatcher';
import type { JobRecord } from '../../../src/compute/jobs/record';
import type { JobStore } from '../../../src/compute/jobs/store';
import type { Core } from '../../../src/kernel/core';
import { newParty, Party, signedQuery } from '../../support/identities';
import { startTestInstance, TestInstance } from '../../support/instance';
import { until } from '../../support/wait';
import { handoffOf, writeAgreement } from './fixtures';
import { PROVIDER_API, ProviderTestClient } from './providerClient';

const API = '/api/services';

/**
 * The compute endpoints against jobs the dispatcher created from fixture agreements; job progress is driven over
 * the provider job API by a stand-in runner (the same calls a runner makes), so these tests need no runner.
 */
describe('compute endpoints: status, results, stop, delete, start, environments, authorization', () => {
  let t: TestInstance;
  let core: Core;
  let jobs: JobStore;
  let requestor: Party;
  let provider: Party;
  let stranger: Party;
  let runner: ProviderTestClient;

  beforeAll(async () => {
    t = await startTestInstance();
    core = t.instance.core;
    jobs = t.instance.services.compute.store;
    [requestor, provider, stranger] = await Promise.all([newParty(t), newParty(t), newParty(t)]);
    runner = new ProviderTestClient(t, provider);
  });
  afterAll(() => t.close());

  /** An approved agreement and its first job, dispatched directly (the stream path is dispatch.test's). */
  async function agreementWithJob(): Promise<{ hex: string; jobId: string }> {
    const hex = await writeAgreement(core, { requestor: requestor.address, provider: provider.address });
    const noLookup = { computeView: async () => undefined };
    const jobId = (await new Dispatcher(core, jobs, noLookup).dispatchApproved(handoffOf(hex)))!;
    return { hex, jobId };
  }

  /** Drives a job through the runner's happy path to 70 with a log and two outputs. */
  async function finish(jobId: string, outputs: Array<[string, string]>): Promise<JobRecord> {
    const fence = await runner.runTo40(jobId);
    const files = [
      { filename: 'algorithm.log', type: 'algorithmLog' as const, bytes: Buffer.from('log line\n') },
      ...outputs.map(([filename, text]) => ({ filename, type: 'output' as const, bytes: Buffer.from(text) })),
    ];
    await runner.finish(jobId, fence, files, { exitCode: 0 });
    return (await jobs.get(jobId))!;
  }

  const auth = (p: Party) => ({ Authorization: `Bearer ${p.token}` });

  it('renders the Ocean status object for the requestor and for the provider', async () => {
    const { hex, jobId } = await agreementWithJob();
    for (const party of [requestor, provider]) {
      const res = await t.request.get(`${API}/compute`).query({ jobId }).set(auth(party));
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        {
          owner: requestor.address,
          documentId: hex,
          jobId,
          agreementId: hex,
          status: 1,
          statusText: 'Warming up',
          dateCreated: expect.stringMatching(/^\d+\.\d{3}$/),
          dateFinished: null,
          results: [],
          stopRequested: false,
          terminationDetails: { exitCode: null },
          reason: null,
        },
      ]);
    }
    const byAgreement = await t.request.get(`${API}/compute`).query({ documentId: hex }).set(auth(requestor));
    expect(byAgreement.body.map((s: { jobId: string }) => s.jobId)).toEqual([jobId]);
    const mine = await t.request.get(`${API}/compute`).set(auth(provider));
    expect(mine.body.map((s: { jobId: string }) => s.jobId)).toContain(jobId);
  });

  it('keeps status private: a stranger gets 404 for the job and sees none of it in lists', async () => {
    const { hex, jobId } = await agreementWithJob();
    const direct = await t.request.get(`${API}/compute`).query({ jobId }).set(auth(stranger));
    expect(direct.status).toBe(404);
    expect(direct.body).toEqual({ message: `Job ${jobId} not found`, error: `Job ${jobId} not found` });
    expect((await t.request.get(`${API}/compute`).query({ documentId: hex }).set(auth(stranger))).body).toEqual([]);
    expect((await t.request.get(`${API}/compute`).set(auth(stranger))).body).toEqual([]);
  });

  it('needs a party: no credentials → 401, a token naming another consumerAddress → 403', async () => {
    const { jobId } = await agreementWithJob();
    expect((await t.request.get(`${API}/compute`).query({ jobId })).status).toBe(401);
    const forged = await t.request
      .get(`${API}/compute`)
      .query({ jobId, consumerAddress: requestor.address })
      .set(auth(stranger));
    expect(forged.status).toBe(403);
    expect(Array.isArray(forged.body)).toBe(false);
    expect(JSON.stringify(forged.body)).not.toContain(stranger.address);
  });

  it('accepts a signed request (ocean-node message address + nonce + command)', async () => {
    const { jobId } = await agreementWithJob();
    const nonce = Date.now();
    const signature = await signOceanMessage(requestor.wallet, requestor.wallet.address + nonce + 'getComputeStatus');
    const res = await t.request
      .get(`${API}/compute`)
      .query({ jobId, consumerAddress: requestor.wallet.address, nonce, signature });
    expect(res.status).toBe(200);
    expect(res.body[0].jobId).toBe(jobId);
    const replay = await t.request
      .get(`${API}/compute`)
      .query({ jobId, consumerAddress: requestor.wallet.address, nonce, signature });
    expect(replay.status).toBe(401);
  });

  it('serves results by stable index with exact bytes; a missing index is 404, a stranger 404', async () => {
    const { jobId } = await agreementWithJob();
    const done = await finish(jobId, [
      ['a.txt', 'alpha'],
      ['b.bin', 'beta'],
    ]);
    const listing = [
      { filename: 'algorithm.log', filesize: 9, type: 'algorithmLog', index: 0 },
      { filename: 'a.txt', filesize: 5, type: 'output', index: 1 },
      { filename: 'b.bin', filesize: 4, type: 'output', index: 2 },
    ];
    // The record keeps each file's SHA-256 (computed by the API on upload); Ocean's listing shows the four fields.
    const hashes = ['log line\n', 'alpha', 'beta'].map((text) => createHash('sha256').update(text).digest('hex'));
    expect(done.results).toEqual(listing.map((entry, i) => ({ ...entry, sha256: hashes[i] })));
    const status = await t.request.get(`${API}/compute`).query({ jobId }).set(auth(requestor));
    expect(status.body[0]).toMatchObject({
      status: 70,
      statusText: 'Job finished',
      terminationDetails: { exitCode: 0 },
    });
    expect(status.body[0].results).toEqual(listing);
    expect(status.body[0].dateFinished).toMatch(/^\d+\.\d{3}$/);
    const result = await t.request
      .get(`${API}/computeResult`)
      .query({ jobId, index: 2 })
      .set(auth(requestor))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(result.status).toBe(200);
    expect((result.body as Buffer).toString()).toBe('beta');
    expect(result.headers['content-type']).toBe('application/octet-stream');
    expect(result.headers['content-disposition']).toBe('attachment; filename="b.bin"');
    const log = await t.request.get(`${API}/computeResult`).query({ jobId, index: 0 }).set(auth(provider));
    expect(log.text).toBe('log line\n');
    expect((await t.request.get(`${API}/computeResult`).query({ jobId, index: 3 }).set(auth(requestor))).status).toBe(
      404,
    );
    expect((await t.request.get(`${API}/computeResult`).query({ jobId, index: 1 }).set(auth(stranger))).status).toBe(
      404,
    );
    expect(
      (await t.request.get(`${API}/computeResult`).query({ jobId, index: '-1' }).set(auth(requestor))).status,
    ).toBe(400);
    expect((await t.request.get(`${API}/computeResult`).query({ jobId }).set(auth(requestor))).status).toBe(400);
  });

  it('never lets a stored result name leave the download as a path', async () => {
    const { jobId } = await agreementWithJob();
    await finish(jobId, [
      ['../../etc/passwd', 'x'],
      ['sub/dir/"q".txt', 'y'],
    ]);
    const first = await t.request.get(`${API}/computeResult`).query({ jobId, index: 1 }).set(auth(requestor));
    expect(first.headers['content-disposition']).toBe('attachment; filename="__.._etc_passwd"');
    const second = await t.request.get(`${API}/computeResult`).query({ jobId, index: 2 }).set(auth(requestor));
    expect(second.headers['content-disposition']).toBe('attachment; filename="sub_dir__q_.txt"');
  });

  it('stop (PUT): a stranger gets 404 and nothing changes; the requestor stops a queued job at once', async () => {
    const { jobId } = await agreementWithJob();
    expect((await t.request.put(`${API}/compute`).query({ jobId }).set(auth(stranger))).status).toBe(404);
    expect((await jobs.get(jobId))!.stopRequested).toBe(false);
    expect((await t.request.put(`${API}/compute`).set(auth(requestor))).status).toBe(400);
    const res = await t.request.put(`${API}/compute`).query({ jobId }).set(auth(requestor));
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({
      jobId,
      status: 70,
      stopRequested: true,
      reason: 'stopped by request before the job started',
    });
  });

  it('stop (PUT) of a running job flags it for its runner', async () => {
    const { jobId } = await agreementWithJob();
    await runner.runTo40(jobId);
    const res = await t.request.put(`${API}/compute`).query({ jobId }).set(auth(provider));
    expect(res.body[0]).toMatchObject({ jobId, status: 40, stopRequested: true, dateFinished: null });
  });

  it('delete: stranger 404, provider 403, requestor removes record and results', async () => {
    const { jobId } = await agreementWithJob();
    await finish(jobId, [['a.txt', 'alpha']]);
    expect((await t.request.delete(`${API}/compute`).query({ jobId }).set(auth(stranger))).status).toBe(404);
    expect((await t.request.delete(`${API}/compute`).query({ jobId }).set(auth(provider))).status).toBe(403);
    expect(await jobs.get(jobId)).toBeDefined();
    const res = await t.request.delete(`${API}/compute`).query({ jobId }).set(auth(requestor));
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({ jobId, status: 70 });
    expect(await jobs.get(jobId)).toBeUndefined();
    expect(await core.redis.exists(core.keys.jobResult(jobId, 1))).toBe(0);
    expect((await t.request.get(`${API}/compute`).query({ jobId }).set(auth(requestor))).status).toBe(404);
  });

  it('delete of a running job stops it first, then removes it once its runner has finished it', async () => {
    const { jobId } = await agreementWithJob();
    const fence = await runner.runTo40(jobId);
    // Stand-in runner: when the stop flag appears, it ends the job as a stopped run does (logs kept, 70).
    const stopping = t.request
      .get(`${PROVIDER_API}/jobs/${jobId}/watch`)
      .query({ fence, timeout: 10 })
      .set(auth(provider))
      .then(async (watch) => {
        if (watch.body.state !== 'stop') return false;
        const log = { filename: 'algorithm.log', type: 'algorithmLog', bytes: Buffer.from('killed') };
        await runner.finish(jobId, fence, [log], { reason: 'stopped by request' });
        return true;
      });
    const res = await t.request.delete(`${API}/compute`).query({ jobId }).set(auth(requestor));
    expect(await stopping).toBe(true);
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({ jobId, status: 70, stopRequested: true, reason: 'stopped by request' });
    expect(await jobs.get(jobId)).toBeUndefined();
  });

  it('tails the live log of a running job and ends when the job ends', async () => {
    const { jobId } = await agreementWithJob();
    const fence = await runner.runTo40(jobId);
    await runner.log(jobId, fence, 'first\n');
    const received: string[] = [];
    const url = new URL(`${t.url}${API}/computeStreamableLogs?jobId=${jobId}`);
    const ended = new Promise<number>((resolve, reject) => {
      http
        .get(url, { headers: auth(requestor) }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            received.push(chunk);
            // Each chunk the runner appends arrives while the job still runs; then the job ends.
            if (received.join('') === 'first\n') void runner.log(jobId, fence, 'second\n');
            if (received.join('') === 'first\nsecond\n') void runner.finish(jobId, fence, []);
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    expect(await ended).toBe(200);
    expect(received.join('')).toBe('first\nsecond\n');
    expect((await t.request.get(`${API}/computeStreamableLogs`).query({ jobId }).set(auth(stranger))).status).toBe(404);
  });
  it('ends a log tail once the token it was opened with is revoked (the job still runs)', async () => {
    const { jobId } = await agreementWithJob();
    const fence = await runner.runTo40(jobId);
    await runner.log(jobId, fence, 'first\n');
    // A token of its own (Ocean style, raw Authorization header), so the requestor's other requests keep theirs.
    const nonce = Date.now();
    const created = await t.request
      .post(`${API}/auth/token`)
      .send(await signedQuery(requestor.wallet, nonce, 'createAuthToken'));
    expect(created.status).toBe(200);
    const token = created.body.token as string;
    const jti = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).jti as string;
    const received: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      http
        .get(
          new URL(`${t.url}${API}/computeStreamableLogs?jobId=${jobId}`),
          { headers: { Authorization: token } },
          (res) => {
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => received.push(chunk));
            res.on('end', () => resolve());
            res.on('error', () => resolve());
          },
        )
        .on('error', reject);
    });
    const { waiter, keys } = core;
    await until(() => waiter.refCount(keys.revokedToken(jti)) === 1, 'the tail waiting under its token');
    const revoked = await t.request
      .delete('/api/services/deleteAuthToken')
      .query({ ...(await signedQuery(requestor.wallet, nonce + 1)), token });
    expect(revoked.status).toBe(200);
    await ended; // the job is still running: only the revocation ends the tail
    expect(received.join('')).toBe('first\n');
    expect((await jobs.get(jobId))?.status).toBe(40);
  });
});

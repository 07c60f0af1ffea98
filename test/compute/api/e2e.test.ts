import { MarketApi } from 'ya-ts-client';
import { environmentOf, startRunnerMarket } from '../../../src/compute/runner/agent';
import type { Runner } from '../../../src/compute/runner/runner';
import { createLogger } from '../../../src/kernel/logger';
import type { ComputeStatus } from '../../../src/types/schemas';
import { DEMO_SPEC, fetchResult, followJob, negotiate } from '../../../examples/requestor';
import { COMPUTE_API_ENV, startRunner } from '../runner/support';
import { newParty, Party } from '../../support/identities';
import { startTestInstance, testPrefix, TestInstance } from '../../support/instance';
import { yaClient } from '../../support/yaClient';

const API = '/api/services';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const quiet = (): void => undefined;

/**
 * End to end on a real Redis with a real runner (bwrap sandbox; the runner speaks HTTP only): the requestor negotiates
 * through the Market API (ya-ts-client, the example's own code) with the runner's market presence, approval
 * dispatches the job, the runner runs it, and the Ocean compute endpoints serve status and the exact result bytes.
 */
describe('compute e2e: demand → agreement → job → 70 → computeResult', () => {
  const prefix = testPrefix();
  let t: TestInstance;
  let runner: Runner;
  let stopMarket: () => Promise<void>;
  let requestor: Party;
  let market: MarketApi.RequestorService;

  beforeAll(async () => {
    t = await startTestInstance({ prefix, env: COMPUTE_API_ENV });
    runner = await startRunner(t.url, { env: { BOURSE_RUNNER_COMMANDS: 'node,sh,sleep' } });
    stopMarket = startRunnerMarket(
      { api: runner.api, environment: environmentOf(runner.config), log, pollSeconds: 1 },
      runner.config.provider,
    );
    requestor = await newParty(t);
    market = yaClient(t, requestor).requestor;
  });
  afterAll(async () => {
    await stopMarket();
    await runner.stop();
    await t.close();
  });

  const auth = () => ({ Authorization: `Bearer ${requestor.token}` });

  /** Resolves once the job's live log contains `text` (woken by the runner's log appends). */
  async function awaitLog(jobId: string, text: string): Promise<void> {
    const { core } = t.instance;
    const seen = await core.waiter.poll([core.keys.jobLog(jobId)], 30_000, undefined, async () =>
      (await core.redis.get(core.keys.jobLog(jobId)))?.includes(text) ? true : undefined,
    );
    if (!seen) throw new Error(`job ${jobId} never logged "${text}"`);
  }

  /** The job's status object (through GET compute) once it is terminal, woken by the job's own writes. */
  async function awaitEnd(jobId: string): Promise<ComputeStatus> {
    const { core } = t.instance;
    const done = await core.waiter.poll([core.keys.job(jobId)], 30_000, undefined, async () => {
      const [job] = (await t.request.get(`${API}/compute`).query({ jobId }).set(auth())).body as ComputeStatus[];
      return job?.dateFinished ? job : undefined;
    });
    if (!done) throw new Error(`job ${jobId} did not end`);
    return done;
  }

  it('runs the negotiated job and returns exactly the bytes it wrote', async () => {
    const agreementId = await negotiate(market, DEMO_SPEC, quiet, 30_000);
    const agreement = await market.getAgreement(agreementId);
    expect(agreement.state).toBe('Approved');
    const job = await followJob(t.url, requestor.token, agreementId, quiet, 60_000, 100);
    expect(job).toMatchObject({
      status: 70,
      statusText: 'Job finished',
      owner: requestor.address,
      documentId: agreementId,
      agreementId,
      reason: null,
      terminationDetails: { exitCode: 0 },
    });
    expect(job.jobId).toBe(agreementId.slice(0, 32));
    expect(job.results.map((r) => [r.index, r.filename, r.type])).toEqual([
      [0, 'algorithm.log', 'algorithmLog'],
      [1, 'result.txt', 'output'],
    ]);
    const expected = Buffer.from('5 words: HELLO FROM THE BOURSE DEMO\n');
    expect(await fetchResult(t.url, requestor.token, job.jobId, 1)).toEqual(expected);
    expect(job.results[1].filesize).toBe(expected.length);
    expect((await fetchResult(t.url, requestor.token, job.jobId, 0)).toString()).toBe('processed 27 characters\n');
    // The provider (the runner's identity) sees the job too; nobody else does.
    const stranger = await newParty(t);
    expect(
      (
        await t.request
          .get(`${API}/compute`)
          .query({ jobId: job.jobId })
          .set({ Authorization: `Bearer ${stranger.token}` })
      ).status,
    ).toBe(404);
    expect(
      (
        await t.request
          .get(`${API}/computeResult`)
          .query({ jobId: job.jobId, index: 1 })
          .set({ Authorization: `Bearer ${stranger.token}` })
      ).status,
    ).toBe(404);
  });

  it('the runner refuses, with the reason, a demand whose command it does not allow', async () => {
    const spec = { ...DEMO_SPEC, runtime: 'sh', entrypoint: ['bash', '$ALGO'], algorithm: 'echo hi' };
    await expect(negotiate(market, spec, quiet, 4_000)).rejects.toThrow(
      'last rejection: command "bash" is not allowed',
    );
  });

  it(
    'stop (PUT) during the run ends the job with its log kept; POST compute starts a further job that ' + 'finishes',
    async () => {
      const spec = {
        runtime: 'sh',
        entrypoint: ['sh', '$ALGO'],
        algorithm: 'echo started; sleep 30; echo never',
        inputs: [],
        maxDurationSeconds: 120,
      };
      const agreementId = await negotiate(market, spec, quiet, 30_000);
      const jobId = agreementId.slice(0, 32);
      await awaitLog(jobId, 'started');
      const before = Date.now();
      const stop = await t.request.put(`${API}/compute`).query({ jobId }).set(auth());
      expect(stop.status).toBe(200);
      expect(stop.body[0].stopRequested).toBe(true);
      const job = await followJob(t.url, requestor.token, agreementId, quiet, 20_000, 100);
      expect(Date.now() - before).toBeLessThan(15_000);
      expect(job.stopRequested).toBe(true);
      expect(job.results[0]).toMatchObject({ index: 0, filename: 'algorithm.log' });
      const kept = (await fetchResult(t.url, requestor.token, jobId, 0)).toString();
      expect(kept).toContain('started');
      expect(kept).not.toContain('never');

      const further = await t.request
        .post(`${API}/compute`)
        .set(auth())
        .send({
          agreementId,
          algorithm: { meta: { rawcode: 'cat "$INPUTS/0" > "$OUTPUTS/copy"' } },
          dataset: { url: 'data:,again' },
        });
      expect(further.status).toBe(200);
      const furtherId = further.body[0].jobId as string;
      const done = await awaitEnd(furtherId);
      expect(done).toMatchObject({ status: 70, agreementId });
      expect((await fetchResult(t.url, requestor.token, furtherId, 1)).toString()).toBe('again');
    },
  );

  it('delete (DELETE) during the run stops the job and removes it', async () => {
    const spec = {
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm: 'echo started; sleep 30',
      inputs: [],
      maxDurationSeconds: 120,
    };
    const agreementId = await negotiate(market, spec, quiet, 30_000);
    const jobId = agreementId.slice(0, 32);
    await awaitLog(jobId, 'started');
    const res = await t.request.delete(`${API}/compute`).query({ jobId }).set(auth());
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({ jobId, stopRequested: true });
    expect(res.body[0].dateFinished).not.toBeNull();
    expect((await t.request.get(`${API}/compute`).query({ jobId }).set(auth())).status).toBe(404);
  });
});

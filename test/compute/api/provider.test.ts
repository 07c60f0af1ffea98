import { Wallet } from 'ethers';
import { writeHeartbeat } from '../../../src/compute/api/environments';
import { JobRecord, newJobId } from '../../../src/compute/jobs/record';
import type { JobStore } from '../../../src/compute/jobs/store';
import { runtimePackage } from '../../../src/compute/runtimePackages';
import { newParty, Party } from '../../support/identities';
import { startTestInstance, TestInstance } from '../../support/instance';
import { until, send } from '../../support/wait';
import { ECHO_SPEC } from './fixtures';
import { PROVIDER_API, ProviderTestClient } from './providerClient';

/**
 * The provider job API refuses, with a 4xx and without changing anything, every write a runner may not make:
 * another provider's job, a claim it no longer holds, a status going back, results over the cap, garbage bodies.
 */
describe('provider job API: claims belong to one provider, writes are fenced, bad input changes nothing', () => {
  let t: TestInstance;
  let store: JobStore;
  let alice: Party;
  let bob: Party;

  beforeAll(async () => {
    t = await startTestInstance({ env: { BOURSE_MAX_RESULT_BYTES: '4kb' } });
    store = t.instance.services.compute.store;
    [alice, bob] = await Promise.all([newParty(t), newParty(t)]);
  });
  afterAll(() => t.close());

  const auth = (p: Party) => ({ Authorization: `Bearer ${p.token}` });

  async function queued(provider: Party): Promise<string> {
    const jobId = newJobId();
    const owner = Wallet.createRandom().address;
    await store.create({
      jobId,
      agreementId: 'cd'.repeat(32),
      owner,
      provider: provider.address,
      validToMs: Date.now() + 60_000,
      spec: ECHO_SPEC,
    });
    return jobId;
  }

  /** The record minus what a refused write could not touch anyway; compared before and after. */
  const snapshot = async (jobId: string): Promise<JobRecord | undefined> => store.get(jobId);

  it("a runner only ever claims its own provider's jobs; a long-poll claim returns when one is queued", async () => {
    const carol = await newParty(t);
    const dave = await newParty(t);
    const openPolls = async (): Promise<number> =>
      (await t.instance.core.metrics.openLongPolls.get()).values[0]?.value ?? 0;
    const pollsBefore = await openPolls();
    let answered = false;
    const waiting = send(
      t.request
        .post(`${PROVIDER_API}/jobs/claim`)
        .query({ timeout: 10 })
        .set(auth(dave))
        .send({ runnerId: 'dave-1', leaseMs: 5000 }),
    ).then((res) => {
      answered = true;
      return res;
    });
    await until(async () => (await openPolls()) > pollsBefore, "Dave's claim to wait");
    const carolsJob = await queued(carol);
    // Carol's job does not answer Dave's long-poll; Carol's own claim gets it at once.
    const carols = await t.request
      .post(`${PROVIDER_API}/jobs/claim`)
      .query({ timeout: 0 })
      .set(auth(carol))
      .send({ runnerId: 'carol-1', leaseMs: 5000 });
    expect(carols.status).toBe(200);
    expect(carols.body).toMatchObject({ jobId: carolsJob, fence: 1, status: 1, spec: ECHO_SPEC, previousRunnerId: '' });
    expect(answered).toBe(false);
    const started = Date.now();
    const davesJob = await queued(dave);
    const daves = await waiting;
    expect(daves.status).toBe(200);
    expect(daves.body.jobId).toBe(davesJob);
    expect(Date.now() - started).toBeLessThan(5000); // answered by the queued job, not by its 10 s timeout
    const empty = await t.request
      .post(`${PROVIDER_API}/jobs/claim`)
      .query({ timeout: 0.2 })
      .set(auth(dave))
      .send({ runnerId: 'dave-1', leaseMs: 5000 });
    expect(empty.status).toBe(204);
  });

  it('a valid token of the wrong provider can neither claim, report, log, upload, watch nor release the job', async () => {
    const jobId = await queued(alice);
    const fence = await new ProviderTestClient(t, alice).runTo40(jobId);
    const before = await snapshot(jobId);
    const claim = await t.request
      .post(`${PROVIDER_API}/jobs/claim`)
      .query({ timeout: 0 })
      .set(auth(bob))
      .send({ runnerId: 'b', leaseMs: 5000 });
    expect(claim.status).toBe(204);
    const attempts = [
      t.request.post(`${PROVIDER_API}/jobs/${jobId}/status`).set(auth(bob)).send({ fence, status: 70 }),
      t.request
        .post(`${PROVIDER_API}/jobs/${jobId}/logs`)
        .query({ fence })
        .set({ ...auth(bob), 'content-type': 'application/octet-stream' })
        .send(Buffer.from('x')),
      t.request
        .put(`${PROVIDER_API}/jobs/${jobId}/results/0`)
        .query({ fence, filename: 'f', type: 'output' })
        .set({ ...auth(bob), 'content-type': 'application/octet-stream' })
        .send(Buffer.from('x')),
      t.request.post(`${PROVIDER_API}/jobs/${jobId}/release`).set(auth(bob)).send({ fence }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.body.message).toMatch(/not found/);
    }
    const watch = await t.request
      .get(`${PROVIDER_API}/jobs/${jobId}/watch`)
      .query({ fence, timeout: 0 })
      .set(auth(bob));
    expect(watch.body).toEqual({ state: 'gone' });
    const beat = await t.request
      .post(`${PROVIDER_API}/heartbeat`)
      .set(auth(bob))
      .send({
        runnerId: 'b',
        cores: 1,
        memoryGiB: 1,
        diskGiB: 1,
        maxJobDuration: 1,
        price: [0],
        currentJobs: 1,
        maxJobs: 1,
        heartbeatMs: 1000,
        leaseMs: 60_000,
        jobs: [{ jobId, fence }],
      });
    expect(beat.body).toEqual({ lost: [jobId] });
    expect(await snapshot(jobId)).toEqual(before);
    expect((await t.request.post(`${PROVIDER_API}/jobs/claim`).send({ runnerId: 'x', leaseMs: 5000 })).status).toBe(
      401,
    );
  });

  it('refuses a status going back, a stale fence and writes after the end, changing nothing', async () => {
    const runner = new ProviderTestClient(t, alice);
    const jobId = await queued(alice);
    const fence = await runner.runTo40(jobId);
    const before = await snapshot(jobId);
    const back = await t.request
      .post(`${PROVIDER_API}/jobs/${jobId}/status`)
      .set(auth(alice))
      .send({ fence, status: 20 });
    expect(back.status).toBe(409);
    expect(back.body.message).toMatch(/is at status 40: a status never goes back/);
    const stale = await t.request
      .post(`${PROVIDER_API}/jobs/${jobId}/status`)
      .set(auth(alice))
      .send({ fence: fence + 1, status: 60 });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(/not held by this claim/);
    const staleLog = await t.request
      .post(`${PROVIDER_API}/jobs/${jobId}/logs`)
      .query({ fence: fence + 1 })
      .set({ ...auth(alice), 'content-type': 'application/octet-stream' })
      .send(Buffer.from('x'));
    expect(staleLog.status).toBe(409);
    expect(await snapshot(jobId)).toEqual(before);
    await runner.finish(jobId, fence, []);
    const ended = await snapshot(jobId);
    const after = await t.request
      .post(`${PROVIDER_API}/jobs/${jobId}/status`)
      .set(auth(alice))
      .send({ fence, status: 70, reason: 'again' });
    expect(after.status).toBe(409);
    expect(await snapshot(jobId)).toEqual(ended);
  });

  it('refuses result files over the cap with 413 and keeps what was within it', async () => {
    const runner = new ProviderTestClient(t, alice);
    const jobId = await queued(alice);
    const fence = await runner.runTo40(jobId);
    await runner.upload(jobId, fence, 0, 'algorithm.log', 'algorithmLog', Buffer.alloc(3000, 1));
    const over = await t.request
      .put(`${PROVIDER_API}/jobs/${jobId}/results/1`)
      .query({ fence, filename: 'big', type: 'output' })
      .set({ ...auth(alice), 'content-type': 'application/octet-stream' })
      .send(Buffer.alloc(2000, 2));
    expect(over.status).toBe(413);
    const huge = await t.request
      .put(`${PROVIDER_API}/jobs/${jobId}/results/1`)
      .query({ fence, filename: 'big', type: 'output' })
      .set({ ...auth(alice), 'content-type': 'application/octet-stream' })
      .send(Buffer.alloc(5000, 2));
    expect(huge.status).toBe(413);
    await runner.report(jobId, fence, 70);
    const done = await snapshot(jobId);
    expect(done?.results.map((r) => r.filename)).toEqual(['algorithm.log']);
    expect(await store.results.get(jobId, 1)).toBeUndefined();
  });

  it('answers garbage with 400 and changes nothing', async () => {
    const jobId = await queued(alice);
    const fence = await new ProviderTestClient(t, alice).claim(jobId);
    const before = await snapshot(jobId);
    const octet = { ...auth(alice), 'content-type': 'application/octet-stream' };
    const cases = [
      t.request.post(`${PROVIDER_API}/jobs/claim`).set(auth(alice)).send({ runnerId: 'x', leaseMs: 1 }),
      t.request.post(`${PROVIDER_API}/jobs/claim`).set(auth(alice)).send({ runnerId: '../x', leaseMs: 5000 }),
      t.request
        .post(`${PROVIDER_API}/jobs/claim`)
        .set(auth(alice))
        .set('content-type', 'application/json')
        .send('{"runnerId":'),
      t.request
        .post(`${PROVIDER_API}/jobs/claim`)
        .query({ timeout: -1 })
        .set(auth(alice))
        .send({ runnerId: 'x', leaseMs: 5000 }),
      t.request.post(`${PROVIDER_API}/jobs/${jobId}/status`).set(auth(alice)).send({ fence, status: 99 }),
      t.request.post(`${PROVIDER_API}/jobs/${jobId}/status`).set(auth(alice)).send({ fence: 'one', status: 10 }),
      t.request
        .post(`${PROVIDER_API}/jobs/${jobId}/status`)
        .set(auth(alice))
        .send({ fence, status: 10, exitCode: 'x' }),
      t.request
        .post(`${PROVIDER_API}/jobs/${jobId}/status`)
        .set(auth(alice))
        .send({ fence, status: 10, reason: 'r'.repeat(5000) }),
      t.request.post(`${PROVIDER_API}/jobs/${jobId}/status`).set(auth(alice)).send([fence, 10]),
      t.request.post(`${PROVIDER_API}/jobs/not-a-job/status`).set(auth(alice)).send({ fence, status: 10 }),
      t.request.post(`${PROVIDER_API}/jobs/${jobId}/logs`).set(octet).send(Buffer.from('no fence')),
      t.request.post(`${PROVIDER_API}/jobs/${jobId}/logs`).query({ fence }).set(octet).send(Buffer.alloc(0)),
      t.request
        .put(`${PROVIDER_API}/jobs/${jobId}/results/x`)
        .query({ fence, filename: 'f', type: 'output' })
        .set(octet)
        .send(Buffer.from('x')),
      t.request
        .put(`${PROVIDER_API}/jobs/${jobId}/results/0`)
        .query({ fence, filename: 'f', type: 'exe' })
        .set(octet)
        .send(Buffer.from('x')),
      t.request
        .put(`${PROVIDER_API}/jobs/${jobId}/results/0`)
        .query({ fence, type: 'output' })
        .set(octet)
        .send(Buffer.from('x')),
      t.request.post(`${PROVIDER_API}/heartbeat`).set(auth(alice)).send({ runnerId: 'a', jobs: 'all' }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(400);
      expect(typeof res.body.message).toBe('string');
    }
    expect(await snapshot(jobId)).toEqual(before);
  });

  it('lists the environments of live runners only (a heartbeat announces a runner)', async () => {
    const base = {
      cores: 2,
      memoryGiB: 1,
      diskGiB: 4,
      maxJobDuration: 600,
      price: [0.001, 0, 0] as [number, number, number],
      currentJobs: 1,
      maxJobs: 2,
      heartbeatMs: 1000,
      runtimes: ['python3'],
    };
    const beat = await t.request
      .post(`${PROVIDER_API}/heartbeat`)
      .set(auth(alice))
      .send({ ...base, runnerId: 'live-runner', leaseMs: 60_000, jobs: [] });
    expect(beat.body).toEqual({ lost: [] });
    await writeHeartbeat(t.instance.core, {
      ...base,
      runnerId: 'dead-runner',
      provider: alice.address,
      lastSeenMs: Date.now() - 60_000,
    });
    const res = await t.request.get(`/api/services/computeEnvironments`);
    expect(res.status).toBe(200);
    // Other tests' runners (of other providers) may be live too: look at Alice's.
    const alices = (res.body as Array<{ consumerAddress: string }>).filter((e) => e.consumerAddress === alice.address);
    expect(alices).toEqual([
      // Ocean's C2D v2 fields (runningJobs, fees, resources, free, platform) are checked by the ocean.js tests.
      expect.objectContaining({
        id: 'live-runner',
        consumerAddress: alice.address,
        cpuNumber: 2,
        ramGB: 1,
        diskGB: 4,
        maxJobDuration: 600,
        priceMin: 0.06,
        currentJobs: 1,
        maxJobs: 2,
        lastSeen: expect.any(Number),
      }),
    ]);
    // The runtimes it stated are published as task packages; the dead runner's are not.
    const runtimes = (await t.request.get('/api/runtimes').expect(200)).body as Array<{ providers: string[] }>;
    expect(runtimes.filter((r) => r.providers.includes(alice.address))).toEqual([
      { ...runtimePackage('python3'), providers: [alice.address] },
    ]);
    const bad = await t.request
      .post(`${PROVIDER_API}/heartbeat`)
      .set(auth(alice))
      .send({ ...base, runtimes: ['no spaces'], runnerId: 'live-runner', leaseMs: 60_000, jobs: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/runtimes/);
  });
});

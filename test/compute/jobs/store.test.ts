import { Wallet } from 'ethers';
import { Watchdog } from '../../../src/compute/api/watchdog';
import { JobLeases } from '../../../src/compute/jobs/leases';
import { isTerminal, JobSpec, JobStatus, newJobId, STATUS_TEXT } from '../../../src/compute/jobs/record';
import { ComputeApi } from '../runner/support';

const spec: JobSpec = { runtime: 'sh', entrypoint: [], algorithm: 'true', inputs: [], maxDurationSeconds: 5 };

describe('JobStore and JobLeases (real Redis)', () => {
  let d: ComputeApi;
  let leases: JobLeases;
  const owner = Wallet.createRandom().address;
  const provider = Wallet.createRandom().address;

  beforeAll(async () => {
    // A slow watchdog: these tests sweep by hand.
    d = await ComputeApi.start({ env: { BOURSE_JOB_WATCHDOG_MS: '600000' } });
    leases = new JobLeases(d.core, 256 * 1024);
  });
  afterAll(() => d.close());

  async function created(validToMs = Date.now() + 60_000, forProvider = provider): Promise<string> {
    const jobId = newJobId();
    const job = { jobId, agreementId: 'ab'.repeat(32), owner, provider: forProvider, validToMs, spec };
    expect(await d.store.create(job)).toBe(true);
    return jobId;
  }

  it('keeps Ocean texts exactly, including the trailing space of 40', () => {
    expect(STATUS_TEXT[40]).toBe('Running algorithm ');
    expect(STATUS_TEXT[70]).toBe('Job finished');
    expect(
      isTerminal(70) && isTerminal(31) && isTerminal(2) && !isTerminal(1) && !isTerminal(40) && !isTerminal(60),
    ).toBe(true);
  });

  it('creates status 1 records listed for both parties, lower-cased', async () => {
    const jobId = await created();
    const job = await d.store.get(jobId);
    expect(job).toMatchObject({
      jobId,
      owner: owner.toLowerCase(),
      provider: provider.toLowerCase(),
      status: 1,
      statusText: 'Warming up',
      dateFinished: '',
      results: [],
      spec,
    });
    expect((await d.store.listForParty(owner.toUpperCase().replace('0X', '0x'))).map((j) => j.jobId)).toContain(jobId);
    expect((await d.store.listForParty(provider)).map((j) => j.jobId)).toContain(jobId);
    expect((await d.store.listForAgreement('ab'.repeat(32))).map((j) => j.jobId)).toContain(jobId);
    expect(await d.store.listForParty(Wallet.createRandom().address)).toEqual([]);
  });

  it('lets exactly one of two racing claims win (compare-and-set in one script)', async () => {
    const jobId = await created();
    const [a, b] = await Promise.all([
      d.store.transition(jobId, [1], 10, { runnerId: 'a' }),
      d.store.transition(jobId, [1], 10, { runnerId: 'b' }),
    ]);
    expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
    const loser = a.ok ? b : a;
    expect(loser).toEqual({ ok: false, status: 10 });
    expect((await d.store.get(jobId))?.runnerId).toBe(a.ok ? 'a' : 'b');
  });

  it('never moves a terminal job, whatever the caller expects', async () => {
    const jobId = await created();
    expect((await d.store.transition(jobId, [1], 31, { reason: 'no data' })).ok).toBe(true);
    const finished = await d.store.get(jobId);
    expect(finished?.dateFinished).toMatch(/^\d+\.\d{3}$/);
    expect(await d.store.transition(jobId, [31], 70)).toEqual({ ok: false, status: 31 });
    expect(await d.store.requestStop(jobId)).toMatchObject({ status: 31, stopRequested: false });
    expect(await d.store.transition(newJobId(), [1], 10)).toEqual({ ok: false, status: undefined });
  });

  it('hands a queued job to exactly one of two racing claims, only for its own provider', async () => {
    const mine = Wallet.createRandom().address.toLowerCase();
    const jobId = await created(undefined, mine);
    const other = Wallet.createRandom().address.toLowerCase();
    expect(await leases.claim(other, 'x', 5000)).toBeUndefined();
    const [a, b] = await Promise.all([leases.claim(mine, 'a', 5000), leases.claim(mine, 'b', 5000)]);
    const winners = [a, b].filter((c) => c?.job.jobId === jobId);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.fence).toBe(1);
    expect((await d.store.get(jobId))?.runnerId).toBe(a ? 'a' : 'b');
  });

  async function claimed(): Promise<{ jobId: string; claim: { provider: string; jobId: string; fence: number } }> {
    const mine = Wallet.createRandom().address.toLowerCase();
    const jobId = await created(undefined, mine);
    const got = await leases.claim(mine, 'r', 5000);
    expect(got?.job.jobId).toBe(jobId);
    return { jobId, claim: { provider: mine, jobId, fence: got!.fence } };
  }

  it('publishes staged results with the final status and serves them by stable index', async () => {
    const { jobId, claim } = await claimed();
    expect((await leases.report(claim, 60, {})).code).toBe('ok');
    const files = [
      { index: 1, filename: 'a.bin', type: 'output', bytes: Buffer.from([0, 255, 1]) },
      { index: 0, filename: 'algorithm.log', type: 'algorithmLog', bytes: Buffer.from('log') },
    ];
    for (const { bytes, ...entry } of files) {
      expect(await leases.stageResult(claim, { ...entry, filesize: bytes.length, sha256: 'h' }, 6)).toBe('ok');
      await d.store.results.put(jobId, entry.index, bytes);
    }
    expect((await d.store.get(jobId))?.results).toEqual([]);
    expect(
      await leases.stageResult(claim, { index: 2, filename: 'big', type: 'output', filesize: 1, sha256: 'h' }, 6),
    ).toBe('toolarge');
    expect(await leases.report(claim, 70, { exitCode: 0 })).toEqual({ code: 'ok', status: 70, stopRequested: false });
    expect((await d.store.get(jobId))?.results).toEqual([
      { filename: 'algorithm.log', filesize: 3, type: 'algorithmLog', index: 0, sha256: 'h' },
      { filename: 'a.bin', filesize: 3, type: 'output', index: 1, sha256: 'h' },
    ]);
    expect(await leases.report(claim, 70, {})).toMatchObject({ code: 'ended', status: 70 });
    expect((await d.readResult(jobId, 1))?.bytes).toEqual(Buffer.from([0, 255, 1]));
    expect(await d.readResult(jobId, 2)).toBeUndefined();
    expect(await d.delete(jobId)).toBe(true);
    expect(await d.store.get(jobId)).toBeUndefined();
    expect(await d.redis.exists(d.keys.jobResult(jobId, 0), d.keys.jobResult(jobId, 1))).toBe(0);
    expect(await d.store.listForParty(owner)).not.toContainEqual(expect.objectContaining({ jobId }));
    expect(await d.delete(jobId)).toBe(false);
  });

  it('keeps only the tail of the live log but counts every byte, and wakes followers', async () => {
    const small = new JobLeases(d.core, 8);
    const { jobId, claim } = await claimed();
    const registration = await d.waiter.register([d.keys.jobLog(jobId)]);
    await small.appendLog(claim, Buffer.from('hello '));
    expect(await registration.next(5000)).toBe('notified');
    registration.release();
    await small.appendLog(claim, Buffer.from('world!'));
    expect(await d.store.readLog(jobId)).toEqual({ tail: Buffer.from('o world!'), totalBytes: 12 });
    expect((await small.appendLog({ ...claim, jobId: newJobId() }, Buffer.from('x'))).code).toBe('notfound');
    expect((await small.appendLog({ ...claim, fence: claim.fence + 1 }, Buffer.from('x'))).code).toBe('notheld');
    expect((await d.store.readLog(jobId)).totalBytes).toBe(12);
  });

  it('the watchdog fails an expired queued job at 2 and a running job past its deadline, once', async () => {
    const queued = await created(Date.now() - 1);
    const running = await created();
    await d.store.transition(running, [1], 40, { deadlineMs: Date.now() - 1, runnerId: 'gone' });
    const healthy = await created();
    await d.store.transition(healthy, [1], 40, { deadlineMs: Date.now() + 60_000 });
    const dogs = [new Watchdog(d.core, d.store, leases), new Watchdog(d.core, d.store, leases)];
    const [a, b] = await Promise.all(dogs.map((w) => w.sweep()));
    expect(a + b).toBeGreaterThanOrEqual(2);
    expect(await d.store.get(queued)).toMatchObject({
      status: JobStatus.ExpiredInQueue,
      statusText: 'Job expired in queue',
    });
    expect(await d.store.get(running)).toMatchObject({
      status: JobStatus.RunFailed,
      reason: expect.stringMatching(/passed at status 40 \(Running algorithm\): runner gone stopped making progress/),
    });
    expect((await d.store.get(healthy))?.status).toBe(40);
  });

  it('a lapsed claim goes back to the queue while another runner of the provider is alive, once', async () => {
    const { jobId, claim } = await claimed();
    await leases.report(claim, 40, { deadlineMs: Date.now() + 60_000 });
    await d.redis.hset(
      d.keys.runners(),
      'other',
      JSON.stringify({ runnerId: 'other', provider: claim.provider, lastSeenMs: Date.now(), heartbeatMs: 60_000 }),
    );
    expect(await leases.renew(claim, 300)).toBe(true);
    const dogs = [new Watchdog(d.core, d.store, leases), new Watchdog(d.core, d.store, leases)];
    expect(await dogs[0].sweep()).toBe(0); // the lease is still running
    const later = Date.now() + 1000;
    const [a, b] = await Promise.all(dogs.map((w) => w.sweep(later)));
    expect(a + b).toBe(1);
    expect(await d.store.get(jobId)).toMatchObject({ status: 40, lost: 1, leaseUntilMs: undefined });
    // The lost holder can no longer write; a new claim resumes the job.
    expect((await leases.report(claim, 60, {})).code).toBe('notheld');
    expect(await leases.renew(claim, 300)).toBe(false);
    const again = await leases.claim(claim.provider, 'other', 300);
    expect(again).toMatchObject({ job: { jobId, status: 40, previousRunnerId: 'r', runnerId: 'other' } });
    // Lost a second time: the job fails with the reason.
    expect(await dogs[0].sweep(Date.now() + 1000)).toBe(1);
    expect(await d.store.get(jobId)).toMatchObject({
      status: 41,
      reason: expect.stringMatching(/^runners gave up on the job: runner other stopped heart-beating at status 40/),
    });
    await d.redis.hdel(d.keys.runners(), 'other');
  });
});

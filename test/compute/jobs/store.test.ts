import { Wallet } from 'ethers';
import { JobSpec, JobStore, newJobId } from '../../../src/compute/jobs';
import { isTerminal, JobStatus, STATUS_TEXT } from '../../../src/compute/statuses';
import { Watchdog } from '../../../src/compute/watchdog';
import { createLogger } from '../../../src/kernel/logger';
import { Dispatcher, testPrefix } from './support';

const spec: JobSpec = { runtime: 'sh', entrypoint: [], algorithm: 'true', inputs: [], maxDurationSeconds: 5 };

describe('JobStore (real Redis)', () => {
  let d: Dispatcher;
  const owner = Wallet.createRandom().address;
  const provider = Wallet.createRandom().address;

  beforeAll(async () => {
    d = await Dispatcher.open(testPrefix());
  });
  afterAll(() => d.close());

  async function created(validToMs = Date.now() + 60_000): Promise<string> {
    const jobId = newJobId();
    expect(await d.store.create({ jobId, agreementId: 'ab'.repeat(32), owner, provider, validToMs, spec })).toBe(true);
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

  it('stores results with the final transition and serves them by stable index', async () => {
    const jobId = await created();
    await d.store.transition(jobId, [1], 60);
    const files = [
      { filename: 'algorithm.log', type: 'algorithmLog' as const, bytes: Buffer.from('log') },
      { filename: 'a.bin', type: 'output' as const, bytes: Buffer.from([0, 255, 1]) },
    ];
    expect((await d.store.storeResults(jobId, [60], 70, files, { exitCode: 0 })).ok).toBe(true);
    expect((await d.store.get(jobId))?.results).toEqual([
      { filename: 'algorithm.log', filesize: 3, type: 'algorithmLog', index: 0 },
      { filename: 'a.bin', filesize: 3, type: 'output', index: 1 },
    ]);
    expect((await d.store.readResult(jobId, 1))?.bytes).toEqual(Buffer.from([0, 255, 1]));
    expect(await d.store.readResult(jobId, 2)).toBeUndefined();
    expect(await d.store.delete(jobId)).toBe(true);
    expect(await d.store.get(jobId)).toBeUndefined();
    expect(await d.redis.exists(d.keys.jobResult(jobId, 0), d.keys.jobResult(jobId, 1))).toBe(0);
    expect(await d.store.listForParty(owner)).not.toContainEqual(expect.objectContaining({ jobId }));
    expect(await d.store.delete(jobId)).toBe(false);
  });

  it('keeps only the tail of the live log but counts every byte, and wakes followers', async () => {
    const store = new JobStore({ redis: d.redis, keys: d.keys, scripts: d.scripts }, 8);
    const jobId = await created();
    const registration = await d.waiter.register([d.keys.jobLog(jobId)]);
    const started = Date.now();
    await store.appendLog(jobId, 'hello ');
    expect(await registration.next(5000)).toBe('notified');
    expect(Date.now() - started).toBeLessThan(1000);
    registration.release();
    await store.appendLog(jobId, 'world!');
    expect(await store.readLog(jobId)).toEqual({ tail: Buffer.from('o world!'), totalBytes: 12 });
    expect(await store.appendLog(newJobId(), 'x')).toBeUndefined();
  });

  it('the watchdog fails an expired queued job at 2 and a running job past its deadline, once', async () => {
    const queued = await created(Date.now() - 1);
    const running = await created();
    await d.store.transition(running, [1], 40, { deadlineMs: Date.now() - 1, runnerId: 'gone' });
    const healthy = await created();
    await d.store.transition(healthy, [1], 40, { deadlineMs: Date.now() + 60_000 });
    const dogs = [
      new Watchdog(d.store, createLogger('silent'), 1000),
      new Watchdog(d.store, createLogger('silent'), 1000),
    ];
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
});

import { Dispatcher } from '../../../src/compute/api/dispatcher';
import { firstJobId, JobStatus } from '../../../src/compute/jobs/record';
import type { JobStore } from '../../../src/compute/jobs/store';
import { JOB, jobProperties } from '../../../src/compute/workload';
import type { Core } from '../../../src/kernel/core';
import { newParty } from '../../support/identities';
import { startTestInstance, testPrefix, TestInstance } from '../../support/instance';
import { announceApproval, ECHO_SPEC, handoffOf, writeAgreement } from './fixtures';

const storeOf = (t: TestInstance): JobStore => t.instance.services.compute.store;
/** Compute never reads agreements here: every agreement comes through its hand-off entry. */
const noLookup = { computeView: async () => undefined };

/** Resolves when the job appears (the dispatcher runs in the background), via the job key's wake-up. */
async function awaitJob(t: TestInstance, jobId: string, timeoutMs = 10_000) {
  const core = t.instance.core;
  const jobs = storeOf(t);
  const job = await core.waiter.poll([core.keys.job(jobId)], timeoutMs, undefined, () => jobs.get(jobId));
  if (!job) throw new Error(`job ${jobId} was not created within ${timeoutMs} ms`);
  return job;
}

/** Resolves once the dispatch group has delivered and acknowledged every approval announced so far. */
async function awaitStreamHandled(core: Core, timeoutMs = 10_000): Promise<void> {
  const stream = core.keys.approvedAgreements();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [last] = await core.redis.xrevrange(stream, '+', '-', 'COUNT', 1);
    const groups = (await core.redis.xinfo('GROUPS', stream)) as unknown[][];
    const group = groups
      .map((g) => Object.fromEntries(Array.from({ length: g.length / 2 }, (_, i) => [g[2 * i], g[2 * i + 1]])))
      .find((g) => g.name === 'compute-dispatch');
    if (group && group.pending === 0 && group['last-delivered-id'] === last?.[0]) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('approvals were not all handled in time');
}

async function queuedIds(core: Core, provider: string): Promise<string[]> {
  return core.redis.lrange(core.keys.providerQueue(provider), 0, -1);
}

describe('dispatch: approved agreement → first job', () => {
  const prefix = testPrefix();
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(async () => {
    const env = { BOURSE_JOB_WATCHDOG_MS: '200' };
    [a, b] = await Promise.all([startTestInstance({ prefix, env }), startTestInstance({ prefix, env })]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it(
    'creates the job at status 1 (documentId = agreement, owner = requestor) and enqueues it for the ' + 'provider',
    async () => {
      const [requestor, provider] = [await newParty(a), await newParty(a)];
      const hex = await writeAgreement(a.instance.core, { requestor: requestor.address, provider: provider.address });
      const job = await awaitJob(a, firstJobId(hex));
      expect(job).toMatchObject({
        agreementId: hex,
        owner: requestor.address,
        provider: provider.address,
        status: JobStatus.Queued,
        statusText: 'Warming up',
        spec: ECHO_SPEC,
      });
      expect(await queuedIds(a.instance.core, provider.address)).toContain(job.jobId);
    },
  );

  it(
    'is idempotent: the same approval announced twice, read by two instances, gives one job and one ' + 'queue entry',
    async () => {
      const [requestor, provider] = [await newParty(a), await newParty(a)];
      const core = a.instance.core;
      const hex = await writeAgreement(core, { requestor: requestor.address, provider: provider.address });
      await Promise.all([announceApproval(core, hex), announceApproval(b.instance.core, hex)]);
      await awaitJob(a, firstJobId(hex));
      await awaitStreamHandled(core);
      expect(await core.redis.smembers(core.keys.agreementJobs(hex))).toEqual([firstJobId(hex)]);
      expect((await queuedIds(core, provider.address)).filter((id) => id === firstJobId(hex))).toHaveLength(1);
    },
  );

  it('two instances dispatching the same agreement at once create exactly one job', async () => {
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const hex = await writeAgreement(a.instance.core, {
      requestor: requestor.address,
      provider: provider.address,
      state: 'Pending',
    });
    const dispatchers = [a, b].map((t) => new Dispatcher(t.instance.core, storeOf(t), noLookup));
    const ids = await Promise.all(dispatchers.map((d) => d.dispatchApproved(handoffOf(hex))));
    expect(ids).toEqual([firstJobId(hex), firstJobId(hex)]);
    expect(await a.instance.core.redis.smembers(a.instance.core.keys.agreementJobs(hex))).toEqual([firstJobId(hex)]);
  });

  it('gives agreements without a bourse.job workload no job', async () => {
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const hex = await writeAgreement(a.instance.core, {
      requestor: requestor.address,
      provider: provider.address,
      demandProperties: { 'golem.node.id.name': 'x' },
      state: 'Pending',
    });
    const dispatcher = new Dispatcher(a.instance.core, storeOf(a), noLookup);
    expect(await dispatcher.dispatchApproved(handoffOf(hex))).toBeUndefined();
    expect(await storeOf(a).get(firstJobId(hex))).toBeUndefined();
  });

  it('fails a job whose agreed workload is invalid with 32 and the reason, instead of running it', async () => {
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const demandProperties = { ...jobProperties(ECHO_SPEC), [JOB.inputs]: ['file:///etc/passwd'] };
    const hex = await writeAgreement(a.instance.core, {
      requestor: requestor.address,
      provider: provider.address,
      demandProperties,
    });
    const core = a.instance.core;
    const job = await core.waiter.poll([core.keys.job(firstJobId(hex))], 10_000, undefined, async () => {
      const j = await storeOf(a).get(firstJobId(hex));
      return j?.status === JobStatus.AlgorithmProvisioningFailed ? j : undefined;
    });
    expect(job?.statusText).toBe('Algorithm provisioning failed');
    expect(job?.reason).toContain('bourse.job.inputs[0] must be an http:, https: or data: URL');
    expect(job?.dateFinished).not.toBe('');
    expect(await queuedIds(core, provider.address)).not.toContain(firstJobId(hex));
  });

  it('a job whose provider has no runner stays at 1, then fails with the reason when the agreement ends', async () => {
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const core = a.instance.core;
    const validToMs = Date.now() + 1500;
    const hex = await writeAgreement(core, { requestor: requestor.address, provider: provider.address, validToMs });
    const waiting = await awaitJob(a, firstJobId(hex));
    expect(waiting.status).toBe(JobStatus.Queued);
    const failed = await core.waiter.poll([core.keys.job(firstJobId(hex))], 10_000, undefined, async () => {
      const job = await storeOf(a).get(firstJobId(hex));
      return job && job.status !== JobStatus.Queued ? job : undefined;
    });
    expect(Date.now()).toBeGreaterThanOrEqual(validToMs);
    expect(failed).toMatchObject({ status: JobStatus.ExpiredInQueue, statusText: 'Job expired in queue' });
    expect(failed?.reason).toContain(`no runner of provider ${provider.address} started the job`);
  });

  it('reads an entry of the first format (agreementId only) through the agreement lookup', async () => {
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const core = a.instance.core;
    const hex = await writeAgreement(core, { requestor: requestor.address, provider: provider.address, state: 'x' });
    await core.redis.hset(core.keys.agreement(hex), 'state', 'Approved');
    await core.redis.xadd(core.keys.approvedAgreements(), '*', 'agreementId', hex);
    expect(await awaitJob(a, firstJobId(hex))).toMatchObject({ agreementId: hex, provider: provider.address });
  });

  it('acknowledges an entry of another version or a malformed one without creating anything', async () => {
    const core = a.instance.core;
    const [requestor, provider] = [await newParty(a), await newParty(a)];
    const hex = await writeAgreement(core, { requestor: requestor.address, provider: provider.address, state: 'x' });
    await core.redis.xadd(core.keys.approvedAgreements(), '*', 'v', '2', 'agreementId', hex);
    await core.redis.xadd(core.keys.approvedAgreements(), '*', 'v', '1', 'agreementId', hex, 'demandProperties', '[');
    await awaitStreamHandled(core);
    expect(await storeOf(a).get(firstJobId(hex))).toBeUndefined();
  });
});

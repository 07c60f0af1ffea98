import http from 'node:http';
import { startTestInstance, type TestInstance } from '../support/instance';
import { newParty, signedQuery } from '../support/identities';
import { send, until } from '../support/wait';
import { jobProperties } from '../../src/compute/workload';
import { ECHO_SPEC } from '../compute/api/fixtures';
import { agreement, API_DEMAND, API_OFFER, negotiateViaApi } from '../market/agreements/fixtures';
import { marketClient } from '../support/marketClient';
import { activityClient, approvedAgreement, okResult, runnerClient } from './support';

/** The Activity API through plain HTTP, with the runner's side played through the provider API. */

let t: TestInstance;
beforeAll(async () => {
  t = await startTestInstance({ env: { BOURSE_JOB_WATCHDOG_MS: '100' } });
});
afterAll(() => t.close());

const RUN = [{ deploy: {} }, { start: {} }, { run: { entry_point: '/bin/echo', args: ['hi'] } }];

it('creates an activity, runs a batch claimed by the runner, and long-polls its results because of the report', async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const runner = runnerClient(t, x.provider);
  const created = await requestor.create(x.id);
  expect(created.status).toBe(201);
  const { activityId } = created.body as { activityId: string };
  expect((await requestor.state(activityId)).body).toEqual({ state: ['Initialized', null], reason: null });
  expect((await requestor.agreement(activityId)).body).toBe(x.id);

  const exec = await requestor.exec(activityId, RUN);
  expect(exec.status).toBe(200);
  const batchId = exec.body as string;
  const waiting = send(requestor.results(activityId, batchId, { timeout: 10 }));
  const claim = await runner.claim();
  expect(claim.status).toBe(200);
  expect(claim.body).toMatchObject({ activityId, batchId, agreementId: x.id, fence: 1 });
  expect(JSON.parse(claim.body.text as string)).toEqual(RUN);
  const report = (body: Record<string, unknown>) =>
    runner.report(activityId, { fence: claim.body.fence, batchId, ...body });

  expect((await report({ results: [okResult(0, '', false)], state: 'Deployed' })).body).toEqual({ state: 'Deployed' });
  expect((await report({ results: [okResult(1, '', false)], state: 'Ready' })).status).toBe(200);
  // A command result is not the batch's end: the long-poll without commandIndex still waits.
  const first = await requestor.results(activityId, batchId, { commandIndex: 1, timeout: 1 });
  expect((first.body as unknown[]).length).toBe(2);
  const started = Date.now();
  await report({ results: [okResult(2, 'hi\n', true)], done: true, cpuMs: 1500 });
  const res = await waiting;
  expect(res.status).toBe(200);
  expect((res.body as Array<{ stdout: string }>).map((r) => r.stdout)).toEqual(['', '', 'hi\n']);
  expect(Date.now() - started).toBeLessThan(5000); // returned because of the report, not the 10 s timeout
  expect((await requestor.state(activityId)).body.state).toEqual(['Ready', null]);
  const usage = (await requestor.usage(activityId)).body as { currentUsage: number[] };
  expect(usage.currentUsage[1]).toBe(1.5);
  // A renewal that crossed the batch's last report (it still names the batch) renews the hold on the idle activity;
  // a result for the ended batch is refused and changes nothing.
  expect((await report({})).body).toEqual({ state: 'Ready' });
  expect((await report({ results: [okResult(3, 'late', true)], done: true })).status).toBe(409);
  expect((await requestor.results(activityId, batchId)).body).toHaveLength(3);

  expect((await requestor.destroy(activityId)).status).toBe(200);
  expect((await requestor.state(activityId)).body.state).toEqual(['Terminated', null]);
  const late = await requestor.exec(activityId, RUN);
  expect(late.status).toBe(410);
  expect(late.body.message).toMatch(/terminated/);
  // The runner learns of the end on its next renewal; its hold ends.
  expect((await runner.report(activityId, { fence: claim.body.fence, batchId: '' })).body).toEqual({
    state: 'Terminated',
  });
  expect(await t.instance.core.redis.zscore(t.instance.core.keys.activityLeases(), activityId)).toBeNull();
});

it("refuses an activity on someone else's agreement, or an agreement not yet approved, without creating one", async () => {
  const x = await approvedAgreement(t);
  const stranger = await newParty(t);
  const res = await activityClient(t, stranger).create(x.id);
  expect(res.status).toBe(404);
  expect(res.body.message).toMatch(/not found/);
  expect((await activityClient(t, x.provider).create(x.id)).status).toBe(404);
  expect((await activityClient(t, x.requestor).create('nope')).status).toBe(404);
  expect((await activityClient(t, x.requestor).create(undefined)).status).toBe(404);
  const pending = await agreement(t);
  const refused = await activityClient(t, pending.n.requestor).create(pending.id);
  expect(refused.status).toBe(410);
  expect(refused.body.message).toMatch(/not Approved/);
  const mine = await activityClient(t, x.requestor).create(x.id);
  expect((await activityClient(t, stranger).state(mine.body.activityId as string)).status).toBe(404);
  expect((await activityClient(t, stranger).exec(mine.body.activityId as string, RUN)).status).toBe(404);
  expect((await activityClient(t, x.requestor).exec(mine.body.activityId as string, [])).status).toBe(400);
});

it('runs the batches of one activity one after another, and hands each batch to exactly one of racing runners', async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  const b1 = (await requestor.exec(activityId, RUN)).body as string;
  const b2 = (await requestor.exec(activityId, RUN)).body as string;
  const runners = [runnerClient(t, x.provider, 'r-a'), runnerClient(t, x.provider, 'r-b')];
  const claims = await Promise.all(runners.map((r) => r.claim()));
  expect(claims.map((c) => c.status).sort()).toEqual([200, 204]);
  const winner = claims.findIndex((c) => c.status === 200);
  expect(claims[winner].body.batchId).toBe(b1);
  // The second batch waits for the first, and then goes to the same runner (the activity's workspace is there).
  const other = send(runners[1 - winner].claim(1));
  const next = send(runners[winner].claim(5));
  expect((await other).status).toBe(204);
  const fence = claims[winner].body.fence as number;
  await runners[winner].report(activityId, { fence, batchId: b1, results: [okResult(0, '', true)], done: true });
  const second = await next;
  expect(second.body).toMatchObject({ batchId: b2, fence: fence + 1 });
  // The old fence is refused now, except for a bare renewal that crossed the claim (answered, changing nothing).
  const stale = await runners[winner].report(activityId, { fence, batchId: b2, results: [okResult(0, 'x', true)] });
  expect(stale.status).toBe(409);
  const { core } = t.instance;
  const lease = await core.redis.zscore(core.keys.activityLeases(), activityId);
  const crossed = await runners[winner].report(activityId, { fence, batchId: b1, leaseMs: 60_000 });
  expect(crossed.body).toEqual({ state: 'Initialized' }); // (this fake runner reported no deploy or start)
  expect(await core.redis.zscore(core.keys.activityLeases(), activityId)).toBe(lease);
  expect(await requestor.results(activityId, b2, { timeout: 0 })).toMatchObject({ body: [] });
});

it('ends a batch with an Error result and the activity Terminated when its runner stops renewing', async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  const batchId = (await requestor.exec(activityId, RUN)).body as string;
  const claim = await runnerClient(t, x.provider).claim(0, 300);
  await runnerClient(t, x.provider).report(activityId, {
    fence: claim.body.fence,
    batchId,
    results: [okResult(0, '', false)],
    leaseMs: 300,
  });
  const res = await requestor.results(activityId, batchId, { timeout: 10 });
  expect(res.body).toEqual([
    expect.objectContaining({ index: 0, result: 'Ok' }),
    expect.objectContaining({
      index: 1,
      result: 'Error',
      isBatchFinished: true,
      message: expect.stringMatching(/runner/),
    }),
  ]);
  expect((await requestor.state(activityId)).body.state).toEqual(['Terminated', null]);
});

it('ends the activities of an agreement when the agreement is terminated', async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  expect((await marketClient(t, x.requestor).agreements.terminate(x.id)).status).toBe(204);
  await until(
    async () => (await requestor.state(activityId)).body.state[0] === 'Terminated',
    'the activity terminated',
  );
  expect((await requestor.state(activityId)).body.reason).toBe('the agreement was terminated');
});

it('streams runtime events as text/event-stream until the batch ends', async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  const batchId = (await requestor.exec(activityId, RUN)).body as string;
  const url = new URL(`${t.url}/activity-api/v1/activity/${activityId}/exec/${batchId}`);
  let text = '';
  const ended = new Promise<void>((resolve, reject) => {
    http
      .get(url, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${x.requestor.token}` } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', resolve);
      })
      .on('error', reject);
  });
  const runner = runnerClient(t, x.provider);
  const claim = await runner.claim();
  const event = (index: number, kind: unknown) => ({
    batch_id: batchId,
    index,
    timestamp: new Date().toISOString(),
    kind,
  });
  await runner.report(activityId, { fence: claim.body.fence, batchId, events: [event(0, { stdout: 'line 1\n' })] });
  await until(() => text.includes('line 1'), 'the first line on the stream');
  await runner.report(activityId, {
    fence: claim.body.fence,
    batchId,
    events: [event(0, { finished: { return_code: 0, message: null } })],
    results: [okResult(0, 'line 1\n', true)],
    done: true,
  });
  await ended;
  const data = text
    .split('\n\n')
    .filter((block) => block.startsWith('event: runtime'))
    .map((block) => JSON.parse(block.split('data: ')[1]) as { kind: unknown });
  expect(data.map((e) => e.kind)).toEqual([{ stdout: 'line 1\n' }, { finished: { return_code: 0, message: null } }]);
});

it('refuses an activity on a job agreement (its demand has bourse.job.*): 409, no activity', async () => {
  const jobDemand = { ...API_DEMAND, properties: { ...API_DEMAND.properties, ...jobProperties(ECHO_SPEC) } };
  const n = await negotiateViaApi(t, API_OFFER, jobDemand);
  const agreementId = (await n.requestor.createAgreement({
    proposalId: n.draftId,
    validTo: new Date(Date.now() + 60_000).toISOString(),
  })) as string;
  await n.requestor.confirmAgreement(agreementId);
  await n.provider.approveAgreement(agreementId, undefined, 5);
  const res = await activityClient(t, n.requestorParty).create(agreementId);
  expect(res.status).toBe(409);
  expect(res.body.message).toMatch(/bourse\.job/);
  const { core } = t.instance;
  expect(await core.redis.scard(core.keys.agreementActivities(agreementId))).toBe(0);
});

it('a runner with no room for another activity claims batches of the activities it holds only', async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const runner = runnerClient(t, x.provider, 'full-runner');
  const other = runnerClient(t, x.provider, 'other-runner');
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  const first = (await requestor.exec(activityId, [{ start: {} }])).body as string;
  expect((await runner.claim(0, 5000, { heldOnly: 'yes' })).status).toBe(400);
  // Nobody holds the activity yet: a full runner does not take it on.
  expect((await runner.claim(0, 5000, { heldOnly: true })).status).toBe(204);
  const claim = await runner.claim(0, 5000, { heldOnly: false });
  expect(claim.body).toMatchObject({ activityId, batchId: first });
  await runner.report(activityId, {
    fence: claim.body.fence,
    batchId: first,
    results: [okResult(0, '', true)],
    done: true,
  });
  // Once it holds the activity, its next batch is the full runner's, and no other runner's.
  const next = (await requestor.exec(activityId, [{ start: {} }])).body as string;
  expect((await other.claim(0, 5000, { heldOnly: false })).status).toBe(204);
  expect((await runner.claim(0, 5000, { heldOnly: true })).body).toMatchObject({ activityId, batchId: next });
});

it('tells the runner holding an activity that it was destroyed through its waiting claim, and no other runner', async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const holder = runnerClient(t, x.provider, 'holder');
  const other = runnerClient(t, x.provider, 'other');
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  const batchId = (await requestor.exec(activityId, [{ start: {} }])).body as string;
  const claim = await holder.claim(0);
  expect(claim.body).toMatchObject({ activityId, batchId });
  await holder.report(activityId, { fence: claim.body.fence, batchId, results: [okResult(0, '', true)], done: true });

  // Both runners wait; the destroy answers the holder's claim (long before its 20 s timeout) and leaves the other's.
  const holderWaits = send(holder.claim(20, 5000, { heldOnly: true }));
  const otherWaits = send(other.claim(2));
  const { core } = t.instance;
  const queue = core.keys.activityQueue(x.provider.address);
  await until(async () => core.waiter.refCount(queue) === 2, 'both claims waiting');
  const started = Date.now();
  expect((await requestor.destroy(activityId)).status).toBe(200);
  const told = await holderWaits;
  expect(told.status).toBe(200);
  expect(told.body).toEqual({ ended: activityId });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect((await otherWaits).status).toBe(204);
  expect(await core.redis.lrange(queue, 0, -1)).toEqual([]);
});

it("ends a batch's event stream once the requestor's token is revoked (the batch still runs)", async () => {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  const batchId = (await requestor.exec(activityId, RUN)).body as string;
  const url = new URL(`${t.url}/activity-api/v1/activity/${activityId}/exec/${batchId}`);
  const ended = new Promise<void>((resolve, reject) => {
    http
      .get(url, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${x.requestor.token}` } }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
  const jti = JSON.parse(Buffer.from(x.requestor.token.split('.')[1], 'base64url').toString('utf8')).jti as string;
  const { waiter, keys } = t.instance.core;
  await until(() => waiter.refCount(keys.revokedToken(jti)) === 1, 'the stream waiting under its token');
  const revoked = await t.request
    .delete('/api/services/deleteAuthToken')
    .query({ ...(await signedQuery(x.requestor.wallet, 1)), token: x.requestor.token });
  expect(revoked.status).toBe(200);
  await ended; // nothing ran the batch: only the revocation ends its stream
  expect(waiter.refCount(keys.revokedToken(jti))).toBe(0);
});

import { startTestInstance, type TestInstance } from '../support/instance';
import { newParty } from '../support/identities';
import { activityClient, approvedAgreement, runnerClient } from './support';

/** Files an activity's commands publish to the result store (`transfer` to `result:<name>`), through plain HTTP. */

let t: TestInstance;
beforeAll(async () => {
  t = await startTestInstance({ env: { BOURSE_MAX_RESULT_BYTES: '1kb' } });
});
afterAll(() => t.close());

async function heldActivity() {
  const x = await approvedAgreement(t);
  const requestor = activityClient(t, x.requestor);
  const runner = runnerClient(t, x.provider);
  const { activityId } = (await requestor.create(x.id)).body as { activityId: string };
  await requestor.exec(activityId, [{ start: {} }]);
  const { fence } = (await runner.claim()).body as { fence: number };
  const upload = (name: string, bytes: string, claimFence = fence, as = x.provider.token) =>
    t.request
      .put(`/api/provider/v1/activities/${activityId}/results/${name}`)
      .set('Authorization', `Bearer ${as}`)
      .set('Content-Type', 'application/octet-stream')
      .query({ fence: claimFence })
      .send(Buffer.from(bytes));
  return { x, requestor, activityId, fence, upload };
}

it('stores a published file for the activity parties only, under the claim fence and the byte budget', async () => {
  const a = await heldActivity();
  expect((await a.upload('out.txt', 'hello')).status).toBe(201);
  const got = await a.requestor.get(`/activity/${a.activityId}/results/out.txt`).buffer(true);
  expect([got.status, got.body.toString()]).toEqual([200, 'hello']);
  expect((await a.requestor.get(`/activity/${a.activityId}/results/nope`)).status).toBe(404);

  const stranger = activityClient(t, await newParty(t));
  expect((await stranger.get(`/activity/${a.activityId}/results/out.txt`)).status).toBe(404);
  expect((await a.upload('x', 'y', a.fence, (await newParty(t)).token)).status).toBe(404);
  expect((await a.upload('bad name', 'y')).status).toBe(400);
  expect((await a.upload('old.txt', 'y', a.fence + 1)).status).toBe(409);
  // 1 KiB per activity: replacing a file counts its new size only.
  expect((await a.upload('out.txt', 'z'.repeat(1000))).status).toBe(201);
  expect((await a.upload('more.txt', 'z'.repeat(100))).status).toBe(413);
  expect((await a.requestor.get(`/activity/${a.activityId}/results`)).body).toEqual([{ name: 'out.txt', size: 1000 }]);

  // After the activity ended, its files stay downloadable but no more can be published.
  await a.requestor.destroy(a.activityId);
  expect((await a.upload('late.txt', 'y')).status).toBe(409);
  expect((await a.requestor.get(`/activity/${a.activityId}/results/out.txt`)).status).toBe(200);
});

it('races two uploads of one name: one file, the bytes of one of them, the budget counted once', async () => {
  const a = await heldActivity();
  const answers = await Promise.all(['a'.repeat(600), 'b'.repeat(600)].map((bytes) => a.upload('same.txt', bytes)));
  expect(answers.map((r) => r.status)).toEqual([201, 201]);
  const list = (await a.requestor.get(`/activity/${a.activityId}/results`)).body as Array<{ name: string }>;
  expect(list).toEqual([{ name: 'same.txt', size: 600 }]);
  const body = (await a.requestor.get(`/activity/${a.activityId}/results/same.txt`).buffer(true)).body.toString();
  expect(['a'.repeat(600), 'b'.repeat(600)]).toContain(body);
  expect(Number(await t.instance.core.redis.hget(t.instance.core.keys.activity(a.activityId), 'resultBytes'))).toBe(
    600,
  );
});

import { newParty, type Party } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';
import { auth, INVOKE, sumService } from './fixtures';

describe('invoke face: service management', () => {
  let t: TestInstance;
  let provider: Party;
  let other: Party;

  beforeAll(async () => {
    t = await startTestInstance();
    [provider, other] = await Promise.all([newParty(t), newParty(t)]);
  });
  afterAll(() => t.close());

  async function register(body: Record<string, unknown> = sumService(), by = provider): Promise<string> {
    const res = await t.request.post(`${INVOKE}/services`).set(auth(by)).send(body).expect(201);
    return res.body.serviceId as string;
  }

  it('answers the heartbeat', async () => {
    expect((await t.request.get(`${INVOKE}/heartbeat`).expect(200)).body).toEqual({ status: 'ok' });
  });

  it('registers a service owned by the provider, readable and listed by anyone', async () => {
    const serviceId = await register();
    const meta = (await t.request.get(`${INVOKE}/services/${serviceId}`).expect(200)).body;
    expect(meta).toMatchObject({
      serviceId,
      provider: provider.address,
      state: 'active',
      version: 1,
      free: true,
      outputs: [{ argname: 'sum', type: 'number' }],
      endpoints: { invoke: `${INVOKE}/${serviceId}` },
    });
    const listed = (await t.request.get(`${INVOKE}/services`).query({ provider: provider.address }).expect(200)).body;
    expect(listed.services.map((s: { serviceId: string }) => s.serviceId)).toContain(serviceId);
  });

  it('pages through a provider listing', async () => {
    const owner = await newParty(t);
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push(await register(sumService(), owner));
    const page = async (offset: number) =>
      (await t.request.get(`${INVOKE}/services`).query({ provider: owner.address, offset, limit: 2 }).expect(200)).body;
    const first = await page(0);
    const second = await page(2);
    expect(first.total).toBe(3);
    expect([...first.services, ...second.services].map((s: { serviceId: string }) => s.serviceId)).toEqual(ids);
    await t.request.get(`${INVOKE}/services`).query({ limit: 0 }).expect(400);
  });

  it.each([
    ['no name', { servicedescription: {} }, 'servicedescription'],
    ['an unknown input type', { inputs: [{ argname: 'a', type: 'int', mandatory: true }] }, 'inputs.0.type'],
    ['a bad argname', { inputs: [{ argname: '../x', type: 'string', mandatory: true }] }, 'inputs.0.argname'],
    [
      'a duplicate argname',
      {
        outputs: [
          { argname: 's', type: 'number' },
          { argname: 's', type: 'json' },
        ],
      },
      'outputs.1',
    ],
    ['no job', { job: undefined }, 'job'],
    ['a zero maxDuration', { job: { runtime: 'python3', algorithm: 'x', maxDuration: 0 } }, 'job.maxDuration'],
  ])('refuses a definition with %s: 400 naming the field, nothing registered', async (_what, change, field) => {
    const owner = await newParty(t);
    const res = await t.request
      .post(`${INVOKE}/services`)
      .set(auth(owner))
      .send(sumService(change as Record<string, unknown>))
      .expect(400);
    expect(res.body.message).toContain(field);
    const listed = (await t.request.get(`${INVOKE}/services`).query({ provider: owner.address }).expect(200)).body;
    expect(listed.total).toBe(0);
  });

  it('needs a party to register', async () => {
    await t.request.post(`${INVOKE}/services`).send(sumService()).expect(401);
  });

  it('updates as a new version, keeping the earlier one readable', async () => {
    const serviceId = await register();
    const changed = sumService({ servicedescription: { name: 'sum', version: '2.0' } });
    const res = await t.request.put(`${INVOKE}/services/${serviceId}`).set(auth(provider)).send(changed).expect(200);
    expect(res.body).toMatchObject({ version: 2, servicedescription: { version: '2.0' } });
    const v1 = await t.instance.services.invoke.registry.get(serviceId, 1);
    expect(v1?.definition.servicedescription.version).toBeUndefined();
  });

  it('refuses a non-owner update or retire with 403, and changes nothing', async () => {
    const serviceId = await register();
    const changed = sumService({ free: false });
    await t.request.put(`${INVOKE}/services/${serviceId}`).set(auth(other)).send(changed).expect(403);
    await t.request.delete(`${INVOKE}/services/${serviceId}`).set(auth(other)).expect(403);
    const meta = (await t.request.get(`${INVOKE}/services/${serviceId}`).expect(200)).body;
    expect(meta).toMatchObject({ state: 'active', version: 1, free: true });
    await t.request
      .delete(`${INVOKE}/services/svc-${'0'.repeat(32)}`)
      .set(auth(provider))
      .expect(404);
    await t.request.get(`${INVOKE}/services/nope`).expect(404);
  });

  it('retires: metadata stays readable as retired, the service leaves the listing, updates are 410', async () => {
    const serviceId = await register();
    await t.request.delete(`${INVOKE}/services/${serviceId}`).set(auth(provider)).expect(200);
    expect((await t.request.get(`${INVOKE}/services/${serviceId}`).expect(200)).body.state).toBe('retired');
    const listed = (await t.request.get(`${INVOKE}/services`).query({ provider: provider.address }).expect(200)).body;
    expect(listed.services.map((s: { serviceId: string }) => s.serviceId)).not.toContain(serviceId);
    await t.request.put(`${INVOKE}/services/${serviceId}`).set(auth(provider)).send(sumService()).expect(410);
  });

  it('races an update against a retire: one atomic outcome, never an update of a retired service', async () => {
    for (let round = 0; round < 5; round += 1) {
      const serviceId = await register();
      const [updated, retired] = await Promise.all([
        t.request.put(`${INVOKE}/services/${serviceId}`).set(auth(provider)).send(sumService()),
        t.request.delete(`${INVOKE}/services/${serviceId}`).set(auth(provider)),
      ]);
      expect(retired.status).toBe(200);
      const meta = (await t.request.get(`${INVOKE}/services/${serviceId}`).expect(200)).body;
      expect(meta.state).toBe('retired');
      // The update either won before the retire (version 2) or was refused after it (410, still version 1).
      expect(updated.status === 200 ? 2 : updated.status === 410 ? 1 : -1).toBe(meta.version);
    }
  });
});

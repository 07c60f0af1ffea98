import { newParty, Party } from '../support/identities';
import { startTestInstance, TestInstance } from '../support/instance';

const API = '/payment-api/v1';

/** Allocations (owner-only), demand decorations, and bad input on the Payment API. */
describe('payment API: allocations and demand decorations', () => {
  let t: TestInstance;
  let owner: Party;
  let stranger: Party;

  beforeAll(async () => {
    t = await startTestInstance();
    owner = await newParty(t);
    stranger = await newParty(t);
  });
  afterAll(() => t.close());

  const as = (p: Party) => ({ Authorization: `Bearer ${p.token}` });
  const create = (body: object, p = owner) => t.request.post(`${API}/allocations`).set(as(p)).send(body);

  it('create echoes the body with allocationId, address and paymentPlatform set (as golem-js sends it)', async () => {
    const timeout = new Date(Date.now() + 3600_000).toISOString();
    const body = {
      totalAmount: '1.5',
      paymentPlatform: 'erc20-holesky-tglm',
      address: owner.wallet.address,
      timestamp: new Date().toISOString(),
      timeout,
      makeDeposit: false,
      remainingAmount: '',
      spentAmount: '',
      allocationId: '',
    };
    const res = await create(body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      totalAmount: '1.5',
      spentAmount: '0',
      remainingAmount: '1.5',
      address: owner.address,
      paymentPlatform: 'erc20-holesky-tglm',
      timeout,
      makeDeposit: false,
    });
    expect(res.body.allocationId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await t.request.get(`${API}/allocations/${res.body.allocationId}`).set(as(owner));
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...res.body, remainingAmount: '1.5' });
  });

  it('defaults the platform and address; lists only the caller’s allocations', async () => {
    const res = await create({ totalAmount: '2' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ address: owner.address, paymentPlatform: 'erc20-holesky-tglm' });
    const mine = await t.request.get(`${API}/allocations`).set(as(owner));
    expect(mine.body.map((a: { allocationId: string }) => a.allocationId)).toContain(res.body.allocationId);
    const theirs = await t.request.get(`${API}/allocations`).set(as(stranger));
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual([]);
  });

  it('amend changes the budget and timeout; release makes it gone', async () => {
    const { allocationId } = (await create({ totalAmount: '1' })).body as { allocationId: string };
    const timeout = new Date(Date.now() + 7200_000).toISOString();
    const amended = await t.request
      .put(`${API}/allocations/${allocationId}`)
      .set(as(owner))
      .send({ totalAmount: '3', timeout });
    expect(amended.status).toBe(200);
    expect(amended.body).toMatchObject({ totalAmount: '3', remainingAmount: '3', timeout });
    expect((await t.request.delete(`${API}/allocations/${allocationId}`).set(as(owner))).status).toBe(200);
    const gone = await t.request.get(`${API}/allocations/${allocationId}`).set(as(owner));
    expect(gone.status).toBe(404);
    expect(gone.body.message).toMatch(/not found/);
    expect((await t.request.delete(`${API}/allocations/${allocationId}`).set(as(owner))).status).toBe(404);
  });

  it("another identity's allocation is 404 for get, amend, release and decorations, and stays unchanged", async () => {
    const { allocationId } = (await create({ totalAmount: '1' })).body as { allocationId: string };
    const url = `${API}/allocations/${allocationId}`;
    expect((await t.request.get(url).set(as(stranger))).status).toBe(404);
    expect((await t.request.put(url).set(as(stranger)).send({ totalAmount: '9' })).status).toBe(404);
    expect((await t.request.delete(url).set(as(stranger))).status).toBe(404);
    const decorations = await t.request.get(`${API}/demandDecorations?allocationIds=${allocationId}`).set(as(stranger));
    expect(decorations.status).toBe(404);
    expect((await t.request.get(url).set(as(owner))).body).toMatchObject({ totalAmount: '1' });
  });

  it('bad input is a 4xx JSON message and creates nothing', async () => {
    const before = (await t.request.get(`${API}/allocations`).set(as(owner))).body.length as number;
    const cases: [object | string, number][] = [
      [{}, 400],
      [{ totalAmount: 'lots' }, 400],
      [{ totalAmount: '-1' }, 400],
      [{ totalAmount: 5 }, 400],
      [{ totalAmount: '1', timeout: 'tomorrow' }, 400],
      [{ totalAmount: '1', timeout: '2001-01-01T00:00:00Z' }, 400],
      [{ totalAmount: '1', paymentPlatform: 'not a platform' }, 400],
      [{ totalAmount: '1', address: stranger.address }, 403],
      ['[1,2', 400],
    ];
    for (const [body, status] of cases) {
      const req = t.request.post(`${API}/allocations`).set(as(owner));
      const res = typeof body === 'string' ? await req.type('json').send(body) : await req.send(body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(typeof res.body.message).toBe('string');
    }
    expect((await t.request.get(`${API}/allocations`).set(as(owner))).body).toHaveLength(before);
    const { allocationId } = (await create({ totalAmount: '1' })).body as { allocationId: string };
    const amend = await t.request.put(`${API}/allocations/${allocationId}`).set(as(owner)).send({ totalAmount: 'x' });
    expect(amend.status).toBe(400);
    expect((await t.request.get(`${API}/allocations/not%20an%20id`).set(as(owner))).status).toBe(404);
    expect((await t.request.get(`${API}/allocations`)).status).toBe(401);
  });

  it('demandDecorations name the payer address per platform and ask offers for the same', async () => {
    const a = (await create({ totalAmount: '1', paymentPlatform: 'erc20-polygon-glm' })).body as {
      allocationId: string;
    };
    const res = await t.request.get(`${API}/demandDecorations?allocationIds=${a.allocationId}`).set(as(owner));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      properties: [
        { key: 'golem.com.payment.platform.erc20-polygon-glm.address', value: owner.address },
        { key: 'golem.com.payment.protocol.version', value: '3' },
      ],
      constraints: [
        '(golem.com.payment.platform.erc20-polygon-glm.address=*)',
        '(golem.com.payment.protocol.version>2)',
      ],
    });
    expect((await t.request.get(`${API}/demandDecorations`).set(as(owner))).status).toBe(400);
  });
});

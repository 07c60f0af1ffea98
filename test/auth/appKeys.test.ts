import { Wallet } from 'ethers';
import { signOceanMessage } from '../../src/auth/signatures';
import { newParty } from '../support/identities';
import type { TestInstance } from '../support/instance';
import { startAuthInstance, storedNonce } from './support';

const BASE = '/api/services/appKeys';

/** Signed fields of `wallet` for `command` with the next nonce. */
async function signed(t: TestInstance, wallet: Wallet, command: string, nonce?: number) {
  const next = nonce ?? (await storedNonce(t, wallet.address)) + 1;
  const message = wallet.address + next + command;
  return { address: wallet.address, nonce: String(next), signature: await signOceanMessage(wallet, message) };
}

describe('app keys: long-lived, revocable keys bound to an address', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startAuthInstance();
  });
  afterAll(() => t.close());

  const fresh = () => Wallet.createRandom() as unknown as Wallet;
  const create = async (wallet: Wallet, name: string) =>
    t.request.post(BASE).send({ ...(await signed(t, wallet, `createAppKey${name}`)), name });

  it('a created key authenticates as its address wherever a token does, until it is dropped', async () => {
    const wallet = fresh();
    const res = await create(wallet, 'laptop');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'laptop', address: wallet.address.toLowerCase() });
    const key = res.body.key as string;
    expect(key).toMatch(/^[0-9a-f]{48}$/);

    const market = await t.request.get('/test/market').set('Authorization', `Bearer ${key}`);
    expect(market.body).toEqual({ identity: wallet.address.toLowerCase() });
    const compute = await t.request.get('/api/test/public').set('Authorization', key);
    expect(compute.body).toEqual({ identity: wallet.address.toLowerCase() });
    const me = await t.request.get('/me').set('Authorization', `Bearer ${key}`);
    expect(me.body).toEqual({ identity: wallet.address.toLowerCase(), name: 'laptop', role: 'manager' });

    const listed = await t.request.get(BASE).query(await signed(t, wallet, 'listAppKeys'));
    expect(listed.body).toEqual([
      { name: 'laptop', key, address: wallet.address.toLowerCase(), created: res.body.created },
    ]);

    const drop = await t.request.delete(`${BASE}/laptop`).query(await signed(t, wallet, 'dropAppKeylaptop'));
    expect(drop.status).toBe(204);
    const after = await t.request.get('/test/market').set('Authorization', `Bearer ${key}`);
    expect(after.status).toBe(401);
  });

  it('a key can be dropped by its value; another address cannot drop it (404) and it keeps working', async () => {
    const [owner, other] = [fresh(), fresh()];
    const key = (await create(owner, 'ci')).body.key as string;
    const byOther = await t.request.delete(`${BASE}/${key}`).query(await signed(t, other, `dropAppKey${key}`));
    expect(byOther.status).toBe(404);
    expect((await t.request.get('/test/market').set('Authorization', `Bearer ${key}`)).status).toBe(200);
    const byOwner = await t.request.delete(`${BASE}/${key}`).query(await signed(t, owner, `dropAppKey${key}`));
    expect(byOwner.status).toBe(204);
    expect((await t.request.get('/test/market').set('Authorization', `Bearer ${key}`)).status).toBe(401);
  });

  it('expiring JWTs keep working next to app keys, and a forged or unknown key is 401', async () => {
    const party = await newParty(t);
    expect((await t.request.get('/test/market').set('Authorization', `Bearer ${party.token}`)).body).toEqual({
      identity: party.address,
    });
    const unknown = await t.request.get('/test/market').set('Authorization', `Bearer ${'ab'.repeat(24)}`);
    expect(unknown.status).toBe(401);
  });

  it('two racing creates of one name make one key (201 and 409)', async () => {
    const wallet = fresh();
    const base = await storedNonce(t, wallet.address);
    const bodies = await Promise.all(
      [1, 2].map(async (i) => ({ ...(await signed(t, wallet, 'createAppKeytwin', base + i)), name: 'twin' })),
    );
    const results = await Promise.all(bodies.map((body) => t.request.post(BASE).send(body)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const listed = await t.request.get(BASE).query(await signed(t, wallet, 'listAppKeys'));
    expect(listed.body).toHaveLength(1);
  });

  it('bad input is 4xx JSON and spends no nonce; a signature is bound to the name', async () => {
    const wallet = fresh();
    const before = await storedNonce(t, wallet.address);
    const badName = await create(wallet, 'no spaces please');
    expect(badName.status).toBe(400);
    expect(badName.body.message).toMatch(/Invalid name/);
    expect(await storedNonce(t, wallet.address)).toBe(before);
    const fields = await signed(t, wallet, 'createAppKeyalpha');
    const swapped = await t.request.post(BASE).send({ ...fields, name: 'beta' });
    expect(swapped.status).toBe(401);
    expect((await t.request.post(BASE).send({ name: 'x' })).status).toBe(400);
    const listed = await t.request.get(BASE).query(await signed(t, wallet, 'listAppKeys'));
    expect(listed.body).toEqual([]);
  });
});

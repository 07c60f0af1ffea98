import { Wallet } from 'ethers';
import { signOceanMessage } from '../../src/auth/signatures';
import { validator } from '../../src/http/validate';
import { signedQuery } from '../support/identities';
import { TestInstance, testPrefix } from '../support/instance';
import { expectNoAddressIn, expectOceanError, startAuthInstance, storedNonce } from './support';

const isNonceAnswer = validator<{ nonce: number }>('Nonce.json');

describe('nonces and signed requests', () => {
  const prefix = testPrefix();
  let t: TestInstance;
  let t2: TestInstance;
  beforeAll(async () => {
    // Two instances sharing a prefix are one service.
    [t, t2] = await Promise.all([startAuthInstance({ prefix }), startAuthInstance({ prefix })]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), t2.close()]);
  });

  it('GET nonce answers {"nonce": 0} (a number) for an address that never signed', async () => {
    const res = await t.request.get('/api/services/nonce').query({ userAddress: Wallet.createRandom().address });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ nonce: 0 });
    expect(isNonceAnswer(res.body)).toBe(true);
  });

  it('GET nonce refuses a missing or malformed address with a 400 {"message","error"}', async () => {
    expectOceanError(await t.request.get('/api/services/nonce'), 400, /Missing required parameter: userAddress/);
    for (const bad of ['0x123', 'f39Fd6e51aad88F6F4ce6aB8827279cffFb92266', `0x${'g'.repeat(40)}`]) {
      expectOceanError(
        await t.request.get('/api/services/nonce').query({ userAddress: bad }),
        400,
        /Invalid userAddress: expected 0x followed by 40 hexadecimal digits/,
      );
    }
  });

  it('a signed request stores its nonce; the stored nonce is the same for any case of the address', async () => {
    const wallet = Wallet.createRandom();
    const res = await t.request.get('/api/test/compute').query(await signedQuery(wallet, 1700000000000, 'testCommand'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ identity: wallet.address.toLowerCase() });
    expect(await storedNonce(t, wallet.address)).toBe(1700000000000);
    expect(await storedNonce(t2, wallet.address.toLowerCase())).toBe(1700000000000);
    expect(await storedNonce(t, `0x${wallet.address.slice(2).toUpperCase()}`)).toBe(1700000000000);
  });

  it('replay: the same signed request sent twice is refused the second time, on any instance', async () => {
    const wallet = Wallet.createRandom();
    const query = await signedQuery(wallet, 5, 'testCommand');
    expect((await t.request.get('/api/test/compute').query(query)).status).toBe(200);
    for (const instance of [t, t2]) {
      const again = await instance.request.get('/api/test/compute').query(query);
      expectOceanError(again, 401, /^Invalid nonce: it must be greater than the last nonce used \(5\)$/);
      expectNoAddressIn(again, wallet.address);
    }
    // A smaller nonce is refused just the same, and nothing moved.
    expectOceanError(
      await t.request.get('/api/test/compute').query(await signedQuery(wallet, 4, 'testCommand')),
      401,
      /Invalid nonce/,
    );
    expect(await storedNonce(t, wallet.address)).toBe(5);
    expect((await t.request.get('/api/test/compute').query(await signedQuery(wallet, 6, 'testCommand'))).status).toBe(
      200,
    );
  });

  it('20 concurrent requests with the same fresh nonce across two instances: exactly one succeeds', async () => {
    const wallet = Wallet.createRandom();
    const expiration = String(Math.floor(Date.now() / 1000) + 600);
    const query = { ...(await signedQuery(wallet, 42)), expiration };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? t : t2).request.get('/api/services/createAuthToken').query(query),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
    expect(results.find((r) => r.status === 200)?.body.token).toEqual(expect.any(String));
    expect(await storedNonce(t, wallet.address)).toBe(42);
  });

  it(
    'the signature is bound to the command: a signature for another command is refused and spends ' + 'nothing',
    async () => {
      const wallet = Wallet.createRandom();
      const res = await t.request.get('/api/test/compute').query(await signedQuery(wallet, 7, 'otherCommand'));
      expectOceanError(res, 401, /^Invalid signature$/);
      expectNoAddressIn(res, wallet.address);
      expect(await storedNonce(t, wallet.address)).toBe(0);
    },
  );

  it('accepts the Provider-style message the route supplies (consumerAddress + jobId + nonce)', async () => {
    const wallet = Wallet.createRandom();
    const signature = await signOceanMessage(wallet, `${wallet.address}job-19`);
    const query = { consumerAddress: wallet.address, jobId: 'job-1', nonce: '9', signature };
    expect((await t.request.get('/api/test/compute').query({ ...query, jobId: 'job-2' })).status).toBe(401);
    const res = await t.request.get('/api/test/compute').query(query);
    expect(res.status).toBe(200);
    expect(res.body.identity).toBe(wallet.address.toLowerCase());
  });

  it('reads the signed fields from a JSON body too (POST), with the nonce as a number', async () => {
    const wallet = Wallet.createRandom();
    const signed = await signedQuery(wallet, 11, 'testCommand');
    const res = await t.request
      .post('/api/test/compute')
      .send({ consumerAddress: signed.address, nonce: 11, signature: signed.signature });
    expect(res.status).toBe(200);
    expect(res.body.identity).toBe(wallet.address.toLowerCase());
    expect(await storedNonce(t, wallet.address)).toBe(11);
  });

  it('bad input is a 400 that names the problem, and the nonce does not move', async () => {
    const wallet = Wallet.createRandom();
    expect((await t.request.get('/api/test/compute').query(await signedQuery(wallet, 100, 'testCommand'))).status).toBe(
      200,
    );
    const good = await signedQuery(wallet, 101, 'testCommand');
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, address: '0x1234' }, /Invalid address: expected 0x followed by 40 hexadecimal digits/],
      [{ ...good, address: undefined, consumerAddress: undefined }, /Missing required parameter: consumerAddress/],
      [{ ...good, nonce: undefined }, /Missing required parameter: nonce/],
      [{ ...good, nonce: '101.5' }, /Invalid nonce: expected a whole number/],
      [{ ...good, nonce: '101.0' }, /Invalid nonce/],
      [{ ...good, nonce: '1e3' }, /Invalid nonce/],
      [{ ...good, nonce: 'abc' }, /Invalid nonce/],
      [{ ...good, nonce: '0101' }, /Invalid nonce/],
      [{ ...good, nonce: '-101' }, /Invalid nonce/],
      [{ ...good, nonce: '9007199254740993' }, /Invalid nonce/],
    ];
    for (const [query, message] of cases) {
      const res = await t.request.get('/api/test/compute').query(query);
      expectOceanError(res, 400, message);
      expectNoAddressIn(res, wallet.address);
    }
    // No signature and no token: the route needs a party.
    expectOceanError(
      await t.request.get('/api/test/compute').query({ ...good, signature: undefined }),
      401,
      /^Missing signature or auth token$/,
    );
    // A malformed signature is simply "not verified".
    for (const signature of ['0x', 'zz', `${good.signature}00`]) {
      expectOceanError(
        await t.request.get('/api/test/compute').query({ ...good, signature }),
        401,
        /^Invalid signature$/,
      );
    }
    expect(await storedNonce(t, wallet.address)).toBe(100);
    expect((await t.request.get('/api/test/compute').query(good)).status).toBe(200);
  });

  it('a route that does not need a party lets anonymous requests through without an identity', async () => {
    const res = await t.request.get('/api/test/public');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ identity: null });
  });
});

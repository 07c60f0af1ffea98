import { Wallet } from 'ethers';
import { TokenService } from '../../src/auth/tokens';
import { validator } from '../../src/http/validate';
import { signedQuery, SigningWallet } from '../support/identities';
import { TestInstance, testPrefix } from '../support/instance';
import { expectNoAddressIn, expectOceanError, startAuthInstance, storedNonce } from './support';

const isTokenAnswer = validator<{ token: string }>('AuthToken.json');
const MAX_LIFETIME = 3600;
const inSeconds = (s: number): string => String(Math.floor(Date.now() / 1000) + s);

describe('auth tokens', () => {
  const prefix = testPrefix();
  let t: TestInstance;
  let t2: TestInstance;
  let nonce = 1000;
  beforeAll(async () => {
    const env = { BOURSE_TOKEN_MAX_LIFETIME_SECONDS: String(MAX_LIFETIME) };
    [t, t2] = await Promise.all([startAuthInstance({ prefix, env }), startAuthInstance({ prefix, env })]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), t2.close()]);
  });

  /** Provider style: GET createAuthToken, signed address + nonce. */
  async function createToken(wallet: SigningWallet, on = t): Promise<string> {
    const res = await on.request
      .get('/api/services/createAuthToken')
      .query({ ...(await signedQuery(wallet, ++nonce)), expiration: inSeconds(600) });
    expect(res.status).toBe(200);
    expect(isTokenAnswer(res.body)).toBe(true);
    return res.body.token as string;
  }

  async function deleteToken(wallet: SigningWallet, token: string, on = t) {
    return on.request.delete('/api/services/deleteAuthToken').query({ ...(await signedQuery(wallet, ++nonce)), token });
  }

  const market = (token: string, on = t) => on.request.get('/test/market').set('Authorization', `Bearer ${token}`);
  const compute = (token: string, on = t) => on.request.get('/api/test/compute').set('AuthToken', token);

  it(
    'lifecycle (Provider style): create → use on both kinds of protected route, on any instance → ' + 'revoke → 401',
    async () => {
      const wallet = Wallet.createRandom();
      const token = await createToken(wallet);
      const me = { identity: wallet.address.toLowerCase() };
      for (const on of [t, t2]) {
        expect((await market(token, on)).body).toEqual(me);
        expect((await compute(token, on)).body).toEqual(me);
      }
      // Every header form of DESIGN §3.3.
      expect((await t.request.get('/api/test/compute').set('Authorization', token)).body).toEqual(me);
      expect((await t.request.get('/api/test/compute').set('Authorization', `Bearer ${token}`)).body).toEqual(me);
      expect((await t.request.get('/api/test/compute').query({ authToken: token })).body).toEqual(me);

      const revoked = await deleteToken(wallet, token);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ success: 'Token has been deactivated.' });
      for (const on of [t, t2]) {
        const res = await market(token, on);
        expect(res.status).toBe(401);
        expect(res.type).toBe('text/plain');
        expect(res.text).toBe('Invalid application key');
        expectOceanError(await compute(token, on), 401, /^Token is deleted\.$/);
      }
      expectOceanError(await deleteToken(wallet, token), 400, /^Token is deleted\.$/);
    },
  );

  it('lifecycle (ocean-node style): POST auth/token → use → POST auth/token/invalidate → 401', async () => {
    const wallet = Wallet.createRandom();
    const created = await t.request.post('/api/services/auth/token').send({
      ...(await signedQuery(wallet, ++nonce, 'createAuthToken')),
      nonce, // a number in JSON, as ocean.js sends it
      validUntil: Date.now() + 60_000,
      chainId: 8996,
    });
    expect(created.status).toBe(200);
    const { token } = created.body as { token: string };
    expect((await compute(token)).body).toEqual({ identity: wallet.address.toLowerCase() });

    // A message bound to another command is not accepted on the invalidate route.
    const otherCommand = await t.request
      .post('/api/services/auth/token/invalidate')
      .send({ ...(await signedQuery(wallet, ++nonce, 'createAuthToken')), token });
    expectOceanError(otherCommand, 401, /^Invalid signature$/);
    expect((await compute(token)).status).toBe(200);

    const invalidated = await t.request
      .post('/api/services/auth/token/invalidate')
      .send({ ...(await signedQuery(wallet, ++nonce, 'invalidateAuthToken')), token });
    expect(invalidated.status).toBe(200);
    expect(invalidated.body).toEqual({ success: true });
    expectOceanError(await compute(token), 401, /^Token is deleted\.$/);
  });

  it('invalidate also accepts address + nonce, the message ocean.js signs for it', async () => {
    const wallet = Wallet.createRandom();
    const created = await t.request
      .post('/api/services/auth/token')
      .send(await signedQuery(wallet, ++nonce, 'createAuthToken'));
    const { token } = created.body as { token: string };
    const invalidated = await t.request
      .post('/api/services/auth/token/invalidate')
      .send({ ...(await signedQuery(wallet, ++nonce)), token });
    expect([invalidated.status, invalidated.body]).toEqual([200, { success: true }]);
    expectOceanError(await compute(token), 401, /^Token is deleted\.$/);
  });

  it('a token without validUntil lives a day at most (capped by the configured maximum)', async () => {
    const wallet = Wallet.createRandom();
    const res = await t.request
      .post('/api/services/auth/token')
      .send(await signedQuery(wallet, ++nonce, 'createAuthToken'));
    expect(res.status).toBe(200);
    const claims = await new TokenService(t.instance.core).verify(res.body.token);
    expect(claims).toMatchObject({ address: wallet.address.toLowerCase() });
    const exp = (claims as { exp: number }).exp;
    expect(exp).toBeGreaterThan(Date.now() / 1000 + MAX_LIFETIME - 60);
    expect(exp).toBeLessThanOrEqual(Date.now() / 1000 + MAX_LIFETIME);
  });

  it('an expired token is 401', async () => {
    const wallet = Wallet.createRandom();
    const token = await new TokenService(t.instance.core).issue(wallet.address, Math.floor(Date.now() / 1000) - 10);
    expect((await market(token)).status).toBe(401);
    expectOceanError(await compute(token), 401, /^Token is expired\.$/);
  });

  it('a token signed with another secret is 401', async () => {
    const wallet = Wallet.createRandom();
    const core = t.instance.core;
    const forged = await new TokenService({
      ...core,
      config: { ...core.config, authSecret: 'another-secret-another-secret-0123456789' },
    }).issue(wallet.address, Math.floor(Date.now() / 1000) + 600);
    expect((await market(forged)).status).toBe(401);
    expectOceanError(await compute(forged), 401, /^Token is invalid\.$/);
    expectOceanError(await compute('not-a-jwt'), 401, /^Token is invalid\.$/);
  });

  it("A's token naming consumerAddress = B is 403, naming A (any case) is fine", async () => {
    const a = Wallet.createRandom();
    const b = Wallet.createRandom();
    const token = await createToken(a);
    for (const field of ['consumerAddress', 'address', 'userAddress']) {
      const res = await t.request
        .get('/api/test/compute')
        .query({ [field]: b.address })
        .set('Authorization', token);
      expectOceanError(res, 403, /^Authenticated address does not match the requested address$/);
      expectNoAddressIn(res, a.address, b.address);
      const body = await t.request
        .post('/api/test/compute')
        .send({ [field]: b.address })
        .set('Authorization', token);
      expect(body.status).toBe(403);
    }
    const own = await t.request
      .get('/api/test/compute')
      .query({ consumerAddress: a.address.toUpperCase().replace('0X', '0x') })
      .set('Authorization', token);
    expect(own.status).toBe(200);
  });

  it("a signed request by A that also names B is 403 and does not spend A's nonce", async () => {
    const a = Wallet.createRandom();
    const b = Wallet.createRandom();
    const res = await t.request
      .get('/api/test/compute')
      .query({ ...(await signedQuery(a, 5, 'testCommand')), userAddress: b.address });
    expectOceanError(res, 403, /does not match/);
    expectNoAddressIn(res, a.address, b.address);
    expect(await storedNonce(t, a.address)).toBe(0);
  });

  it("revoking someone else's token is refused, spends nothing, and the token keeps working", async () => {
    const owner = Wallet.createRandom();
    const other = Wallet.createRandom();
    const token = await createToken(owner);
    const before = await storedNonce(t, other.address);
    const res = await deleteToken(other, token);
    expectOceanError(res, 403, /^Only the address a token was issued to may revoke it$/);
    expectNoAddressIn(res, owner.address, other.address);
    const nodeStyle = await t.request
      .post('/api/services/auth/token/invalidate')
      .send({ ...(await signedQuery(other, ++nonce, 'invalidateAuthToken')), token });
    expect(nodeStyle.status).toBe(403);
    expect(await storedNonce(t, other.address)).toBe(before);
    expect((await market(token)).status).toBe(200);
    expect((await compute(token)).body).toEqual({ identity: owner.address.toLowerCase() });
  });

  it('a signature by someone else than the named address is 401 and names neither address', async () => {
    const signer = Wallet.createRandom();
    const victim = Wallet.createRandom();
    const signed = await signedQuery(signer, ++nonce);
    const res = await t.request
      .get('/api/services/createAuthToken')
      .query({ ...signed, address: victim.address, expiration: inSeconds(600) });
    expectOceanError(res, 401, /^Invalid signature$/);
    expectNoAddressIn(res, signer.address, victim.address);
    expect(res.text).not.toContain(signed.signature.slice(2, 20));
    expect(await storedNonce(t, victim.address)).toBe(0);
  });

  it('bad input to createAuthToken is a 400 with a clear message, and the nonce does not move', async () => {
    const wallet = Wallet.createRandom();
    await createToken(wallet);
    const stored = await storedNonce(t, wallet.address);
    const good = { ...(await signedQuery(wallet, stored + 1)), expiration: inSeconds(600) };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, address: 'not-an-address' }, /^Invalid address: expected 0x followed by 40 hexadecimal digits$/],
      [{ ...good, signature: undefined }, /^Missing required parameter: signature$/],
      [{ ...good, nonce: '1.5' }, /^Invalid nonce: expected a whole number/],
      [{ ...good, nonce: 'soon' }, /^Invalid nonce: expected a whole number/],
      [{ ...good, expiration: undefined }, /^Missing required parameter: expiration$/],
      [{ ...good, expiration: inSeconds(-5) }, /^Invalid expiration: it must be in the future$/],
      [
        { ...good, expiration: inSeconds(MAX_LIFETIME + 120) },
        new RegExp(`^Invalid expiration: a token may live at most ${MAX_LIFETIME} seconds$`),
      ],
      [{ ...good, expiration: '17e8' }, /^Invalid expiration: expected a whole number/],
    ];
    for (const [query, message] of cases) {
      const res = await t.request.get('/api/services/createAuthToken').query(query);
      expectOceanError(res, 400, message);
      expectNoAddressIn(res, wallet.address);
    }
    const posts: Array<[Record<string, unknown>, RegExp]> = [
      [
        { ...(await signedQuery(wallet, stored + 1, 'createAuthToken')), validUntil: Date.now() - 1000 },
        /^Invalid validUntil: it must be in the future$/,
      ],
      [
        {
          ...(await signedQuery(wallet, stored + 1, 'createAuthToken')),
          validUntil: Date.now() + (MAX_LIFETIME + 120) * 1000,
        },
        /at most/,
      ],
      [{ ...(await signedQuery(wallet, stored + 1, 'createAuthToken')), signature: undefined }, /signature/],
      [{ ...(await signedQuery(wallet, stored + 1, 'createAuthToken')), nonce: 1.5 }, /nonce must be integer/],
      [{ ...(await signedQuery(wallet, stored + 1, 'createAuthToken')), address: 12 }, /address must be string/],
    ];
    for (const [body, message] of posts)
      expectOceanError(await t.request.post('/api/services/auth/token').send(body), 400, message);
    expectOceanError(await t.request.post('/api/services/auth/token').send([1]), 400, /must be object/);
    expect(await storedNonce(t, wallet.address)).toBe(stored);
    expect((await t.request.get('/api/services/createAuthToken').query(good)).status).toBe(200);
  });

  it('bad input to deleteAuthToken is a 400 and revokes nothing', async () => {
    const wallet = Wallet.createRandom();
    const token = await createToken(wallet);
    const stored = await storedNonce(t, wallet.address);
    const signed = await signedQuery(wallet, stored + 1);
    expectOceanError(
      await t.request.delete('/api/services/deleteAuthToken').query(signed),
      400,
      /^Missing required parameter: token$/,
    );
    expectOceanError(
      await t.request.delete('/api/services/deleteAuthToken').query({ ...signed, token: 'garbage' }),
      400,
      /^Token is invalid\.$/,
    );
    expect(await storedNonce(t, wallet.address)).toBe(stored);
    expect((await market(token)).status).toBe(200);
  });
});

import { LoggerInstance, LogLevel, ProviderInstance } from '@oceanprotocol/lib';
import { decodeJwt } from 'jose';
import { getBytes, Wallet } from 'ethers';
import { messageHash } from '../../src/auth/signatures';
import { writeHeartbeat, type RunnerHeartbeat } from '../../src/compute/api/environments';
import { OCEAN_SERVICE_ENDPOINTS } from '../../src/http/routes/oceanRoot';
import { signedQuery } from '../support/identities';
import { startTestInstance, TestInstance } from '../support/instance';

/**
 * The published ocean.js (ProviderInstance, unchanged) against a real Bourse: discovery, nonces, auth tokens and
 * environments. Jobs are in ocean/compute.test.ts.
 */
const INVALIDATE = '/api/services/auth/token/invalidate';

describe('ocean.js ProviderInstance against Bourse', () => {
  let t: TestInstance;
  let node: string;
  const provider = Wallet.createRandom().address.toLowerCase();

  beforeAll(async () => {
    LoggerInstance.setLevel(LogLevel.None); // the refusals these tests provoke are asserted, not logged
    t = await startTestInstance();
    node = t.url;
    const beat: RunnerHeartbeat = {
      runnerId: 'runner-a',
      provider,
      cores: 4,
      memoryGiB: 2,
      diskGiB: 10,
      maxJobDuration: 600,
      price: [0.001, 0.002, 0.5],
      currentJobs: 1,
      maxJobs: 2,
      lastSeenMs: Date.now() + 3_600_000, // stays live for the whole file
      heartbeatMs: 1000,
    };
    await writeHeartbeat(t.instance.core, beat);
  });
  afterAll(() => t.close());

  const wallet = (): Wallet => Wallet.createRandom() as unknown as Wallet;

  it('GET / is ocean-node’s root document: isValidProvider is true and every named route is served', async () => {
    expect(await ProviderInstance.isValidProvider(node)).toBe(true);
    const root = (await t.request.get('/')).body;
    expect(root).toMatchObject({
      providerAddress: provider,
      providerAddresses: [provider],
      chainIds: [],
      software: 'Bourse',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(root.serviceEndpoints).toEqual(OCEAN_SERVICE_ENDPOINTS);
    for (const name of ['nonce', 'computeStart', 'freeCompute', 'computeStatus', 'computeStop', 'computeDelete']) {
      expect(root.serviceEndpoints[name]).toBeDefined();
    }
    // Each route answers its method with something other than "no such route" (404 with an empty body, or 405).
    for (const [name, [method, path]] of Object.entries(OCEAN_SERVICE_ENDPOINTS)) {
      const res = await t.request[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](path).send({});
      expect({ name, allowed: res.status !== 405, routed: !(res.status === 404 && !res.body?.message) }).toEqual({
        name,
        allowed: true,
        routed: true,
      });
    }
  });

  it('getNonce reads the last nonce used (0, then what a signed request spent)', async () => {
    const w = wallet();
    expect(await ProviderInstance.getNonce(node, w.address)).toBe(0);
    const signed = await signedQuery(w, 41, 'createAuthToken');
    expect((await t.request.post('/api/services/auth/token').send(signed)).status).toBe(200);
    expect(await ProviderInstance.getNonce(node, w.address)).toBe(41);
  });

  it('generateAuthToken: a token with ocean-node’s address claim, usable raw in Authorization', async () => {
    const w = wallet();
    const token = await ProviderInstance.generateAuthToken(w, node);
    const claims = decodeJwt(token);
    expect(claims.address).toBe(w.address); // checksummed, as ocean.js sends it
    expect(claims.sub).toBe(w.address.toLowerCase());
    const res = await t.request.get('/api/services/compute').set('Authorization', token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('invalidateAuthToken (ocean.js signs address + nonce): the token then gets 401', async () => {
    const w = wallet();
    const token = await ProviderInstance.generateAuthToken(w, node);
    expect((await t.request.get('/api/services/compute').set('Authorization', token)).status).toBe(200);
    expect(await ProviderInstance.invalidateAuthToken(w, token, node)).toEqual({ success: true });
    const after = await t.request.get('/api/services/compute').set('Authorization', token);
    expect(after.status).toBe(401);
    expect(after.body.message).toBe('Token is deleted.');
    // The same call again is refused (ocean.js hides the status; the same request by hand shows it).
    await expect(ProviderInstance.invalidateAuthToken(w, token, node)).rejects.toThrow();
    const nonce = (await ProviderInstance.getNonce(node, w.address)) + 1;
    const again = await t.request.post(INVALIDATE).send({ ...(await signedQuery(w, nonce)), token });
    expect([again.status, again.body.message]).toEqual([400, 'Token is deleted.']);
  });

  it('invalidateAuthToken by another address is refused and the token keeps working', async () => {
    const owner = wallet();
    const token = await ProviderInstance.generateAuthToken(owner, node);
    const stranger = wallet();
    await expect(ProviderInstance.invalidateAuthToken(stranger, token, node)).rejects.toThrow();
    const res = await t.request.post(INVALIDATE).send({ ...(await signedQuery(stranger, 7)), token });
    expect(res.status).toBe(403);
    expect((await t.request.get('/api/services/compute').set('Authorization', token)).status).toBe(200);
  });

  it('getComputeEnvironments: Provider’s fields and the C2D v2 fields beside them', async () => {
    const [env] = await ProviderInstance.getComputeEnvironments(node);
    expect(env).toMatchObject({
      id: 'runner-a',
      consumerAddress: provider,
      maxJobDuration: 600,
      cpuNumber: 4,
      currentJobs: 1,
      runningJobs: 1,
      fees: {},
      platform: { os: 'linux', architecture: expect.any(String) },
      resources: [
        { id: 'cpu', total: 4, min: 1, max: 4, inUse: 2 },
        { id: 'ram', total: 2, min: 0, max: 2, inUse: 1 },
        { id: 'disk', total: 10, min: 0, max: 10, inUse: 5 },
      ],
      free: { maxJobDuration: 600, maxJobs: 2 },
    });
    expect(env.free?.resources).toEqual(env.resources);
  });

  it('300 consecutive signed ocean.js requests, leading-zero hashes among them, fail 0 times', async () => {
    const w = wallet();
    const hashOf = (nonce: number) => getBytes(messageHash(`${w.address}${nonce}createAuthToken`));
    // Find a nonce whose hash starts with a zero byte, and start the run so that it falls inside it.
    let zero = 1;
    while (hashOf(zero)[0] !== 0) zero += 1;
    const start = Math.max(0, zero - 150);
    if (start > 0) {
      const res = await t.request.post('/api/services/auth/token').send(await signedQuery(w, start, 'createAuthToken'));
      expect(res.status).toBe(200);
    }
    let failures = 0;
    for (let i = 0; i < 300; i += 1) {
      const token = await ProviderInstance.generateAuthToken(w, node).catch(() => undefined);
      if (typeof token !== 'string' || decodeJwt(token).address !== w.address) failures += 1;
    }
    const signedNonces = Array.from({ length: 300 }, (_, i) => start + 1 + i);
    expect(signedNonces.filter((n) => hashOf(n)[0] === 0).length).toBeGreaterThanOrEqual(1);
    expect(failures).toBe(0);
    expect(await ProviderInstance.getNonce(node, w.address)).toBe(start + 300);
  });
});

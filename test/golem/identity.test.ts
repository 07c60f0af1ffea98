import { newParty } from '../support/identities';
import { startTestInstance, TestInstance } from '../support/instance';

/** yagna's version and identity endpoints as golem-js reads them. */
describe('GET /version/get and GET /me', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  it('/version/get needs no auth and names a yagna API version golem-js 3 supports (>= 0.15.2)', async () => {
    const res = await t.request.get('/version/get');
    expect(res.status).toBe(200);
    expect(res.body.current).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      name: expect.stringContaining('bourse'),
      seen: true,
      releaseTs: expect.any(String),
    });
    const [major, minor, patch] = (res.body.current.version as string).split('.').map(Number);
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(15_002);
  });

  it("/me answers the caller's identity; without a valid key it is 401", async () => {
    const party = await newParty(t);
    const res = await t.request.get('/me').set('Authorization', `Bearer ${party.token}`);
    expect(res.body).toEqual({ identity: party.address, name: 'default', role: 'manager' });
    expect((await t.request.get('/me')).status).toBe(401);
    expect((await t.request.get('/me').set('Authorization', 'Bearer nope')).status).toBe(401);
  });
});

import { revokedTokensOf } from '../../src/auth/revocations';
import { newParty, signedQuery, type Party } from '../support/identities';
import { testPrefix, type TestInstance } from '../support/instance';
import { until } from '../support/wait';
import { startAuthInstance } from './support';

function tokenId(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).jti as string;
}

describe('revoked tokens are known in memory on every instance', () => {
  let a: TestInstance;
  let b: TestInstance;
  beforeAll(async () => {
    const prefix = testPrefix();
    [a, b] = await Promise.all([startAuthInstance({ prefix }), startAuthInstance({ prefix })]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const market = (party: Party, on: TestInstance) =>
    on.request.get('/test/market').set('Authorization', `Bearer ${party.token}`);
  const revokeOn = async (on: TestInstance, party: Party) =>
    on.request
      .delete('/api/services/deleteAuthToken')
      .query({ ...(await signedQuery(party.wallet, Date.now())), token: party.token });
  /** Drops the Redis marker: what refuses the token after this can only be an instance's own revoked set. */
  const forgetMarker = (party: Party) =>
    a.instance.core.redis.del(a.instance.core.keys.revokedToken(tokenId(party.token)));

  it('a token revoked on A is refused on B as soon as the revoke call answers, from B’s own set', async () => {
    const party = await newParty(a);
    expect((await market(party, b)).status).toBe(200); // B has checked (and remembered) the signature
    expect(revokedTokensOf(b.instance.core).local).toBe(true);

    expect((await revokeOn(a, party)).status).toBe(200);
    await forgetMarker(party);
    const refused = await market(party, b);
    expect(refused.status).toBe(401);
    expect(refused.text).toBe('Invalid application key');
    expect((await market(party, a)).status).toBe(401);
  });

  it('an instance that missed the revocation (subscriber down) asks Redis, and reloads the set on reconnect', async () => {
    const party = await newParty(a);
    const bystander = await newParty(a);
    expect((await market(party, b)).status).toBe(200);
    const { subscriber } = b.instance.core;
    const revoked = revokedTokensOf(b.instance.core);
    subscriber.disconnect(false); // stays down until connect() below
    await until(() => subscriber.status === 'end' && !revoked.local, 'B’s subscriber to be down');

    expect((await revokeOn(a, party)).status).toBe(200);
    expect((await market(party, b)).status).toBe(401); // from Redis: B never heard of it
    expect((await market(bystander, b)).status).toBe(200);

    await subscriber.connect();
    await until(() => revoked.local, 'B to trust its reloaded set');
    await forgetMarker(party);
    expect((await market(party, b)).status).toBe(401); // loaded from the index, not heard
    expect((await market(bystander, b)).status).toBe(200);
  });

  it('a second revocation of the same token is refused and changes nothing', async () => {
    const party = await newParty(a);
    expect((await revokeOn(b, party)).status).toBe(200);
    const again = await revokeOn(a, party);
    expect(again.status).toBe(400);
    expect((await market(party, a)).status).toBe(401);
  });
});

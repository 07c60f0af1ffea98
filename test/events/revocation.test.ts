import { randomBytes } from 'node:crypto';
import { newParty, signedQuery, type Party } from '../support/identities';
import { twoInstancesOfOneMarket, type TestInstance } from '../support/instance';
import { send, until } from '../support/wait';

const BASE = '/market-api/v1';

function tokenId(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).jti as string;
}

describe('a revoked token ends the long-polls it holds', () => {
  let a: TestInstance;
  let b: TestInstance;
  twoInstancesOfOneMarket((first, second) => {
    a = first;
    b = second;
  });

  async function subscribeDemand(party: Party): Promise<string> {
    const subnet = randomBytes(8).toString('hex');
    const res = await a.request
      .post(`${BASE}/demands`)
      .set('Authorization', `Bearer ${party.token}`)
      .send({ properties: { 'golem.node.debug.subnet': subnet }, constraints: `(golem.node.debug.subnet=${subnet})` });
    expect(res.status).toBe(201);
    return res.body as string;
  }

  it('on instance A within about a second of the revocation on instance B, with 401', async () => {
    const victim = await newParty(a);
    const bystander = await newParty(a);
    const demandId = await subscribeDemand(victim);
    const bystanderDemand = await subscribeDemand(bystander);
    const authorised = (path: string, party: Party) =>
      a.request.get(path).set('Authorization', `Bearer ${party.token}`);

    const events = send(authorised(`${BASE}/demands/${demandId}/events?timeout=60`, victim));
    const agreementEvents = send(authorised(`${BASE}/agreementEvents?timeout=60`, victim));
    const unrelated = send(authorised(`${BASE}/demands/${bystanderDemand}/events?timeout=3`, bystander));
    const revokedKey = a.instance.core.keys.revokedToken(tokenId(victim.token));
    await until(() => a.instance.core.waiter.refCount(revokedKey) === 2, 'both polls holding the token');

    const revokedAt = Date.now();
    const revoked = await b.request
      .delete('/api/services/deleteAuthToken')
      .query({ ...(await signedQuery(victim.wallet, 1)), token: victim.token });
    expect(revoked.status).toBe(200);

    // An ordinary end of these polls is 200 [] after 60 s; 401 can only come from the revocation.
    for (const poll of [await events, await agreementEvents]) {
      expect(poll.status).toBe(401);
      expect(poll.text).toBe('Invalid application key');
    }
    expect(Date.now() - revokedAt).toBeLessThan(1500);
    expect(a.instance.core.waiter.refCount(revokedKey)).toBe(0);

    const other = await unrelated; // another token's poll runs to its own timeout
    expect(other.status).toBe(200);
    expect(other.body).toEqual([]);
  });

  it('ends a poll whose token was revoked between authentication and subscription, before any read', async () => {
    const victim = await newParty(a);
    const demandId = await subscribeDemand(victim);
    const { waiter } = a.instance.core;
    // Revoke as the poll starts: the wake-up goes out before the poll's SUBSCRIBE, only the key is left to see.
    const originalRegister = waiter.register.bind(waiter);
    const revokeFirst = jest.spyOn(waiter, 'register').mockImplementationOnce(async (keys, signal, endingKey) => {
      const revoked = await b.request
        .delete('/api/services/deleteAuthToken')
        .query({ ...(await signedQuery(victim.wallet, 1)), token: victim.token });
      expect(revoked.status).toBe(200);
      return originalRegister(keys, signal, endingKey);
    });
    try {
      const res = await a.request
        .get(`${BASE}/demands/${demandId}/events?timeout=60`)
        .set('Authorization', `Bearer ${victim.token}`);
      expect(res.status).toBe(401);
      expect(revokeFirst).toHaveBeenCalledTimes(1);
    } finally {
      revokeFirst.mockRestore();
    }
  });
});

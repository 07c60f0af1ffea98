import { randomBytes } from 'node:crypto';
import { newParty } from '../support/identities';
import { startTestInstance, TestInstance } from '../support/instance';

/** A hash-tagged prefix (`{tag}:`) keeps every key in one Redis Cluster slot; the service must work under it. */
describe('hash-tagged key prefix', () => {
  const tag = `t${randomBytes(4).toString('hex')}`;
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ prefix: `{${tag}}:` });
  });
  afterAll(() => t.close());

  it('negotiates under the prefix and writes no key outside it', async () => {
    const requestor = await newParty(t);
    const provider = await newParty(t);
    const api = '/market-api/v1';
    await t.request
      .post(`${api}/offers`)
      .set('Authorization', `Bearer ${provider.token}`)
      .send({ properties: { tag }, constraints: '()' })
      .expect(201);
    const demand = await t.request
      .post(`${api}/demands`)
      .set('Authorization', `Bearer ${requestor.token}`)
      .send({ properties: {}, constraints: `(tag=${tag})` })
      .expect(201);
    const events = await t.request
      .get(`${api}/demands/${demand.body}/events?timeout=5`)
      .set('Authorization', `Bearer ${requestor.token}`)
      .expect(200);
    expect(events.body).toHaveLength(1);
    expect(events.body[0].eventType).toBe('ProposalEvent');

    const keys = (await t.instance.core.redis.keys(`*${tag}*`)) as string[];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.startsWith(`{${tag}}:`))).toEqual([]);
  });
});

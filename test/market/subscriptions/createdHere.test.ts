import { CreatedHere, MAX_KEPT } from '../../../src/market/subscriptions/createdHere';
import { Subscriptions } from '../../../src/market/subscriptions/service';
import { newParty } from '../../support/identities';
import { startTestInstance, type TestInstance } from '../../support/instance';
import { uniqueTag } from '../../support/marketClient';

const record = (id: string) => ({
  id,
  kind: 'offer' as const,
  owner: '0x' + '1'.repeat(40),
  properties: '{}',
  constraints: '()',
  createdAt: 1,
  expiresAt: 2,
  state: 'active' as const,
});

describe('CreatedHere: the records of subscriptions this instance created, until its matcher reads them', () => {
  it('hands a record out once, at the stream position it was read at', () => {
    const created = new CreatedHere();
    created.add(record('a'));
    expect(created.take('a', '5-0')).toEqual({ ...record('a'), seq: '5-0' });
    expect(created.take('a', '5-0')).toBeUndefined();
    expect(created.take('b', '6-0')).toBeUndefined();
    created.add(record('c'));
    created.forget('c');
    expect(created.take('c', '7-0')).toBeUndefined();
  });

  it(`keeps at most ${MAX_KEPT}, forgetting the oldest`, () => {
    const created = new CreatedHere();
    for (let i = 0; i <= MAX_KEPT; i++) created.add(record(`r${i}`));
    expect(created.take('r0', '1-0')).toBeUndefined();
    expect(created.take('r1', '1-0')).toBeDefined();
    expect(created.take(`r${MAX_KEPT}`, '1-0')).toBeDefined();
  });
});

describe('Subscriptions.streamed: what the matcher reads for new stream entries', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(() => t.close());

  it('takes the subscriptions it created from memory, once, and reads the others from Redis', async () => {
    const { core } = t.instance;
    const here = new Subscriptions(core);
    const elsewhere = new Subscriptions(core);
    const owner = (await newParty(t)).address.toLowerCase();
    const body = { properties: { tag: uniqueTag() }, constraints: '()' };
    const first = await here.subscribe('offer', owner, body);
    const second = await here.subscribe('offer', owner, body);
    const entry = ({ id, seq }: { id: string; seq: string }) => ({ id, seq });

    // Read from Redis where it was not created here.
    expect(await elsewhere.streamed([entry(first)])).toEqual([first]);
    // Here, from memory: the record is gone from Redis, yet streamed still has it.
    await core.redis.del(core.keys.subscription(first.id));
    expect(await here.streamed([entry(first), entry(second)])).toEqual([first, second]);
    // Taken once: the next read goes to Redis.
    expect(await here.streamed([entry(first)])).toEqual([undefined]);
  });

  it('reads a subscription that ended from Redis, so the matcher does not index what is over', async () => {
    const { core } = t.instance;
    const here = new Subscriptions(core);
    const owner = (await newParty(t)).address.toLowerCase();
    const created = await here.subscribe('offer', owner, { properties: { tag: uniqueTag() }, constraints: '()' });
    await here.unsubscribe('offer', created.id, owner);
    expect(await here.streamed([{ id: created.id, seq: created.seq }])).toEqual([undefined]);
  });
});

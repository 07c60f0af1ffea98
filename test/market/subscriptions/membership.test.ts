import { Membership } from '../../../src/market/subscriptions/membership';
import { parseStreamEntry } from '../../../src/market/subscriptions/record';
import { startTestInstance, type TestInstance } from '../../support/instance';

/** The view entries of the subscription stream (membership changes), oldest first. */
async function viewEntries(t: TestInstance): Promise<Array<{ members: string; from: string }>> {
  const { redis, keys } = t.instance.core;
  return (await redis.xrange(keys.subscriptionStream(), '-', '+'))
    .map(([, fields]) => parseStreamEntry(fields))
    .filter((entry) => entry.op === 'view');
}

/** Membership transitions are Lua scripts: instances racing to join (and to depart the dead) see one outcome. */
describe('matcher membership', () => {
  let t: TestInstance;
  const started: Membership[] = [];
  beforeAll(async () => {
    t = await startTestInstance();
  });
  afterAll(async () => {
    for (const membership of started) await membership.stop();
    await t.close();
  });

  const membership = () => {
    const m = new Membership(t.instance.core, () => '0-0');
    started.push(m);
    return m;
  };
  const longAgo = () => Date.now() - 600_000;

  it('two instances joining at once depart a dead member exactly once, and a replay still owed is handed on', async () => {
    const { redis, keys } = t.instance.core;
    // X died having matched through 1-0; Y is alive and has matched through 5-0.
    await redis.zadd(keys.matcherMembers(), longAgo(), 'X', Date.now(), 'Y');
    await redis.hset(keys.matcherProgress(), 'X', '1-0', 'Y', '5-0');
    const before = (await viewEntries(t)).length;

    const [first, second] = [membership(), membership()];
    await Promise.all([first.join(), second.join()]);
    const views = (await viewEntries(t)).slice(before);
    // One departure (X) and two joins.
    expect(views.filter((v) => v.from === '1-0')).toHaveLength(1);
    expect(views).toHaveLength(3);
    const last = views[views.length - 1].members.split(',');
    expect(last).toEqual(
      expect.arrayContaining([first.id, second.id, 'Y', t.instance.services.market.matcher.memberId]),
    );
    expect(last).not.toContain('X');

    // Y dies before it got past X's departure: it still owes the replay from 1-0, so its own departure starts there
    // (not at its progress 5-0), or pairs X never matched would fall between the two departures.
    await redis.zadd(keys.matcherMembers(), longAgo(), 'Y');
    await membership().join();
    const yDeparture = (await viewEntries(t)).slice(before + 3).find((v) => !v.members.split(',').includes('Y'));
    expect(yDeparture?.from).toBe('1-0');
  });

  it('a departed member’s leave changes nothing (it must join again)', async () => {
    const { redis, keys } = t.instance.core;
    const m = membership();
    await m.join();
    await redis.zadd(keys.matcherMembers(), longAgo(), m.id);
    await membership().join(); // departs m
    expect(await redis.zscore(keys.matcherMembers(), m.id)).toBeNull();
    await m.stop(); // its leave is refused ('gone'): nothing is written
    expect(await redis.zscore(keys.matcherMembers(), m.id)).toBeNull();
  });
});

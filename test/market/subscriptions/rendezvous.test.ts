import { Rendezvous } from '../../../src/market/subscriptions/rendezvous';

const ids = Array.from({ length: 30_000 }, (_, i) => `0x${(i * 7919).toString(16).padStart(64, '0')}`);
const members = ['host-a:101:1f2e3d4c', 'host-b:102:5a6b7c8d', 'host-c:103:9e0f1a2b'];

function shares(view: Rendezvous): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (const id of ids) counts.set(view.ownerOf(id), (counts.get(view.ownerOf(id)) ?? 0) + 1);
  return counts;
}

describe('rendezvous ownership', () => {
  it('spreads subscriptions evenly over three members', () => {
    const counts = shares(new Rendezvous(members));
    expect([...counts.keys()].sort()).toEqual([...members].sort());
    for (const count of counts.values()) expect(count / ids.length).toBeLessThan(0.36);
  });

  it('moves only the departed member’s subscriptions when one leaves, and only the newcomer’s share on a join', () => {
    const three = new Rendezvous(members);
    const two = new Rendezvous(members.slice(0, 2));
    for (const id of ids) {
      if (three.ownerOf(id) !== members[2]) expect(two.ownerOf(id)).toBe(three.ownerOf(id));
    }
  });

  it('does not depend on the order members are listed in, and has no owner without members', () => {
    const forward = new Rendezvous(members);
    const backward = new Rendezvous([...members].reverse());
    for (const id of ids.slice(0, 1000)) expect(backward.ownerOf(id)).toBe(forward.ownerOf(id));
    expect(new Rendezvous([]).ownerOf(ids[0])).toBeUndefined();
  });
});

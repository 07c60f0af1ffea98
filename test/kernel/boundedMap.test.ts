import { setBounded } from '../../src/kernel/boundedMap';

describe('setBounded: the bound of every per-instance cache', () => {
  it('keeps at most `capacity` entries, forgetting the one set longest ago', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c'].entries()) setBounded(map, key, i, 2);
    expect([...map]).toEqual([
      ['b', 1],
      ['c', 2],
    ]);
  });

  it('setting a key it holds replaces the value and forgets nothing', () => {
    const map = new Map([
      ['a', 0],
      ['b', 1],
    ]);
    setBounded(map, 'a', 5, 2);
    expect([...map]).toEqual([
      ['a', 5],
      ['b', 1],
    ]);
  });
});

import { Capacity } from '../../../src/compute/runner/capacity';

/** The runner's budget: job slots reserve units while polling; an activity may take a reserved unit. */

it('lets an activity take a unit a job slot only reserved, and tells that slot its job must go back', () => {
  const capacity = new Capacity(2);
  const first = capacity.reserve()!;
  const second = capacity.reserve()!;
  expect(capacity.reserve()).toBeUndefined();
  expect(capacity.open).toBe(true);

  capacity.take(); // an activity: the first reservation's poll is aborted
  expect([first.signal.aborted, second.signal.aborted]).toEqual([true, false]);
  expect(capacity.confirm(first)).toBe(false);
  expect(capacity.confirm(second)).toBe(true);
  expect([capacity.inUse, capacity.open]).toEqual([2, false]);
  expect(capacity.reserve()).toBeUndefined();

  capacity.release();
  expect(capacity.open).toBe(true);
  const again = capacity.reserve()!;
  capacity.cancel(again);
  expect(capacity.inUse).toBe(1);
});

it('wakes waiters at every change', async () => {
  const capacity = new Capacity(1);
  capacity.take();
  const woken = capacity.changed(new AbortController().signal);
  capacity.release();
  await woken;
  expect(capacity.reserve()).toBeDefined();
});

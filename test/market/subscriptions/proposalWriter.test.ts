import { createLogger } from '../../../src/kernel/logger';
import { ProposalWriter } from '../../../src/market/subscriptions/proposalWriter';
import type { Pair, PairSource } from '../../../src/market/subscriptions/shard';

/** Records the order pairs are created in; `failures` first calls fail (as Redis being away would). */
function recorder(failures = 0) {
  const created: string[] = [];
  let calls = 0;
  return {
    created,
    createInitial: async (demandId: string, offerId: string) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (calls++ < failures) throw new Error('connection lost');
      created.push(`${demandId}/${offerId}`);
    },
  };
}

/** `count` pairs of `demand`, known beforehand (the matcher's are evaluated as they are taken). */
function pairs(demand: string, count: number): PairSource {
  const all = Array.from({ length: count }, (_, i) => [demand, `o${i}`] as Pair);
  let next = 0;
  return {
    take: (n) => all.slice(next, (next += n)),
    get left() {
      return Math.max(0, all.length - next);
    },
  };
}

describe('ProposalWriter', () => {
  const log = createLogger('silent');

  it('writes a new subscription’s first pairs before the rest of an earlier one, and every pair once', async () => {
    const sink = recorder();
    const writer = new ProposalWriter(sink, log);
    const many = writer.write(pairs('A', 200));
    const few = writer.write(pairs('B', 5));
    await Promise.all([many, few]);
    expect(sink.created).toHaveLength(205);
    expect(new Set(sink.created).size).toBe(205);
    // A's first chunk was in flight when B came; B's pairs come right after it, before A's remainder.
    const lastOfB = Math.max(...sink.created.map((p, i) => (p.startsWith('B/') ? i : -1)));
    expect(lastOfB).toBeLessThan(20);
    expect(writer.backlog).toBe(0);
  });

  it('retries a failed chunk until every pair is written', async () => {
    const sink = recorder(3);
    const writer = new ProposalWriter(sink, log);
    await writer.write(pairs('A', 10));
    expect(new Set(sink.created).size).toBe(10);
  });
});

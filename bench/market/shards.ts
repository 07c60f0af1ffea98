/**
 * The same market served by three instances: how evenly the offers are shared (the largest fraction one instance
 * holds), and a demand's first ProposalEvent when three owners match it, next to the one-instance figure.
 */
import type { ApiInstance } from '../../src/main/api';
import { fmt, nowMs, percentile } from '../support';
import { warmFirstEvents } from './firstEvent';

export interface ShardFigures {
  row: Record<string, string | number>;
  maxShardShare: number;
  firstEventWarmMs: number;
}

export async function threeInstances(
  first: ApiInstance,
  base: string,
  startAnother: () => Promise<ApiInstance>,
  requestor: string,
): Promise<ShardFigures> {
  const { redis, keys } = first.core;
  const started = nowMs();
  const others = [await startAnother(), await startAnother()];
  const instances = [first, ...others];
  try {
    const held = () => instances.map((i) => i.services.market.matcher.sizeOf('offer'));
    // Settled: every live offer is held by exactly one instance (the first one has dropped what the others took).
    for (;;) {
      const live = await redis.zcard(keys.activeSubscriptions('offer'));
      const shares = held();
      if (shares.reduce((a, b) => a + b, 0) === live && Math.min(...shares) > 0) break;
      if (nowMs() - started > 120_000) throw new Error(`offers never settled over three instances: ${shares}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const settled = nowMs() - started;
    const shares = held();
    const total = shares.reduce((a, b) => a + b, 0);
    const maxShardShare = Math.max(...shares) / total;
    const warm = await warmFirstEvents(base, requestor, 40);
    const row = {
      'two instances joined, shares settled': `${(settled / 1000).toFixed(1)} s`,
      'offers held by each': shares.join(' / '),
      'largest share': maxShardShare.toFixed(3),
      'three instances: demand → first event (median of 5)': fmt(percentile(warm, 50)),
    };
    return { row, maxShardShare, firstEventWarmMs: percentile(warm, 50) };
  } finally {
    for (const other of others) await other.close(1000);
    // The first instance takes the offers back before the next measurement runs beside it.
    const offers = () => redis.zcard(keys.activeSubscriptions('offer'));
    while (first.services.market.matcher.sizeOf('offer') < (await offers()))
      await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

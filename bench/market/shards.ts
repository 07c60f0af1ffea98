/**
 * The same market served by three instances: how evenly the offers are shared (the largest fraction one instance
 * holds), and a demand's first ProposalEvent when three owners match it, next to the one-instance figure.
 * The two instances that join are `bourse api` child processes, as in a deployment: started in the bench's process,
 * all three matchers would share one event loop and the three-instance figure would time that contention instead.
 * Their shards are read from their /metrics; the first instance stays in-process (the other parts measure it).
 */
import type { ApiInstance } from '../../src/main/api';
import { type ApiProcess, collectGarbageAndSettle, fmt, nowMs, percentile, stop } from '../support';
import { firstEventMs, warmFirstEvents } from './firstEvent';

export interface ShardFigures {
  row: Record<string, string | number>;
  maxShardShare: number;
  /** Demands POSTed to and collected from the first (in-process) instance. */
  firstEventWarmMs: number;
  /** The same through a child instance. */
  firstEventWarmViaChildMs: number;
}

/** The offers a child's matcher owns, from its /metrics (gauge bourse_matcher_subscriptions{kind="offer"}). */
async function offersHeldBy(child: ApiProcess): Promise<number> {
  const text = await (await fetch(`${child.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('bourse_matcher_subscriptions{kind="offer"}'));
  if (!line) throw new Error(`${child.url}/metrics reports no offer shard`);
  return Number(line.split(' ')[1]);
}

/** Waits until `instance` (the in-process one) holds every live subscription again, after others in its market left. */
export async function untilAllHeldBy(instance: ApiInstance): Promise<void> {
  const { redis, keys } = instance.core;
  const live = async () =>
    (await redis.zcard(keys.activeSubscriptions('offer'))) + (await redis.zcard(keys.activeSubscriptions('demand')));
  while (instance.services.market.matcher.size < (await live()))
    await new Promise((resolve) => setTimeout(resolve, 50));
}

export async function threeInstances(
  first: ApiInstance,
  base: string,
  startAnother: () => Promise<ApiProcess>,
  requestor: string,
  offerCount: number,
): Promise<ShardFigures> {
  const { redis, keys } = first.core;
  const offers = () => redis.zcard(keys.activeSubscriptions('offer'));
  const started = nowMs();
  const others: ApiProcess[] = [];
  try {
    others.push(await startAnother());
    others.push(await startAnother());
    const held = async () => [
      first.services.market.matcher.sizeOf('offer'),
      ...(await Promise.all(others.map(offersHeldBy))),
    ];
    // Settled: every live offer is held by exactly one instance (the first one has dropped what the others took).
    for (;;) {
      const live = await offers();
      const shares = await held();
      if (shares.reduce((a, b) => a + b, 0) === live && Math.min(...shares) > 0) break;
      if (nowMs() - started > 120_000) throw new Error(`offers never settled over three instances: ${shares}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const settled = nowMs() - started;
    const shares = await held();
    const total = shares.reduce((a, b) => a + b, 0);
    const maxShardShare = Math.max(...shares) / total;
    // The joined processes are fresh: one demand through each compiles their request and matching paths first, as
    // part 3's cold demand did for the first instance before its warm figure.
    for (const [i, url] of [base, ...others.map((o) => o.url)].entries())
      await firstEventMs(url, requestor, 30 + i, offerCount);
    // The first instance has just dropped two thirds of its index: not the demands' to pay.
    await collectGarbageAndSettle();
    const warm = await warmFirstEvents(base, requestor, 40, offerCount);
    const viaChild = await warmFirstEvents(others[0].url, requestor, 45, offerCount);
    const row = {
      'two instances (processes) joined, shares settled': `${(settled / 1000).toFixed(1)} s`,
      'offers held by each': shares.join(' / '),
      'largest share': maxShardShare.toFixed(3),
      'three instances: demand → first event (median of 5)': fmt(percentile(warm, 50)),
      'the same through a joined instance': fmt(percentile(viaChild, 50)),
    };
    return {
      row,
      maxShardShare,
      firstEventWarmMs: percentile(warm, 50),
      firstEventWarmViaChildMs: percentile(viaChild, 50),
    };
  } finally {
    for (const other of others) await stop(other.child);
    // The first instance takes the subscriptions back before the next measurement runs beside it.
    await untilAllHeldBy(first);
  }
}

/**
 * A demand subscribed against many active offers: time until its first ProposalEvent is collected (the first demand
 * after start builds the lazy index), heap per indexed offer, next to what a full scan (match() against every offer)
 * takes in the same run.
 */
import { compileSubscription, match } from '../../src/market/constraints';
import type { MarketServices } from '../../src/market';
import { collectGarbage, fmt, nowMs, percentile } from '../support';
import { call, inBatches } from './http';

const RUNTIMES = 100;

export interface FirstEventFigures {
  row: Record<string, string | number>;
  firstEventColdMs: number;
  firstEventWarmMs: number;
  fullScanMs: number;
  heapBytesPerOffer: number;
}

export async function hugeMatch(
  base: string,
  market: MarketServices,
  requestor: string,
  offerCount: number,
): Promise<FirstEventFigures> {
  const indexedBefore = market.matcher.size;
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const providers = Array.from({ length: 50 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`);
  const t0 = nowMs();
  await inBatches(offerCount, 500, (i) =>
    market.subscriptions.subscribe('offer', providers[i % providers.length], {
      properties: { 'golem.runtime.name': `rt${i % RUNTIMES}`, 'golem.inf.mem.gib': (i % 16) + 1, n: i },
      constraints: '(golem.node.debug.subnet=public)',
    }),
  );
  const inserted = nowMs() - t0;
  while (market.matcher.size < indexedBefore + offerCount) await new Promise((resolve) => setTimeout(resolve, 50));
  const indexed = nowMs() - t0;

  const demand = {
    properties: { 'golem.node.debug.subnet': 'public' },
    constraints: '(&(golem.runtime.name=rt7)(golem.inf.mem.gib>=8))',
  };
  /** Subscribe → the first ProposalEvent collected, in ms. */
  const firstEvent = async (body: typeof demand): Promise<number> => {
    const start = nowMs();
    const demandId = (await call(base, requestor, 'POST', '/demands', body)).body as string;
    const events = (await call(base, requestor, 'GET', `/demands/${demandId}/events?timeout=30&maxEvents=1`))
      .body as unknown[];
    if (events.length !== 1) throw new Error('no ProposalEvent arrived');
    return nowMs() - start;
  };
  const coldFirst = await firstEvent(demand);
  collectGarbage(); // the index is built now (lazily, by the first demand)
  const heapBytesPerOffer = (process.memoryUsage().heapUsed - heapBefore) / offerCount;
  const warm: number[] = [];
  for (let i = 0; i < 5; i++)
    warm.push(
      await firstEvent({ ...demand, constraints: `(&(golem.runtime.name=rt${20 + i})(golem.inf.mem.gib>=8))` }),
    );

  // Baseline: what a yagna-style full scan of the 100,000 offers costs in matching alone.
  const compiledDemand = compileSubscription({ id: 'd', ...demand });
  const compiledOffers = Array.from({ length: offerCount }, (_, i) =>
    compileSubscription({
      id: String(i),
      properties: { 'golem.runtime.name': `rt${i % RUNTIMES}`, 'golem.inf.mem.gib': (i % 16) + 1, n: i },
      constraints: '(golem.node.debug.subnet=public)',
    }),
  );
  const scanStart = nowMs();
  let yes = 0;
  for (const offer of compiledOffers) if (match(compiledDemand, offer) === 'Yes') yes++;
  const fullScan = nowMs() - scanStart;
  const row = {
    'offers inserted (in-process, via Lua)': `${(inserted / 1000).toFixed(1)} s`,
    'offers indexed by the matcher': `${(indexed / 1000).toFixed(1)} s`,
    'matching offers': yes,
    'first demand → first event (builds the lazy index)': fmt(coldFirst),
    'next demands → first event (median of 5)': fmt(percentile(warm, 50)),
    [`baseline: full-scan match() of ${offerCount} offers`]: fmt(fullScan),
    'ratio warm first event / full scan': (percentile(warm, 50) / fullScan).toFixed(2),
    'heap per offer (instance: records + index)': `${(heapBytesPerOffer / 1024).toFixed(2)} KB`,
  };
  const firstEventWarmMs = percentile(warm, 50);
  return { row, firstEventColdMs: coldFirst, firstEventWarmMs, fullScanMs: fullScan, heapBytesPerOffer };
}

/**
 * A demand subscribed against many active offers: time until its first ProposalEvent is collected (the first demand
 * after the offers were indexed, and the next ones), heap per indexed offer, next to what a full scan (match() against
 * every offer) takes in the same run.
 */
import { compileSubscription, match } from '../../src/market/constraints';
import type { MarketServices } from '../../src/market';
import { collectGarbage, collectGarbageAndSettle, fmt, nowMs, percentile } from '../support';
import { call, inBatches, warmClient } from './http';

const RUNTIMES = 100;

function offerProperties(i: number): Record<string, unknown> {
  return { 'golem.runtime.name': `rt${i % RUNTIMES}`, 'golem.inf.mem.gib': (i % 16) + 1, n: i };
}

export interface FirstEventFigures {
  row: Record<string, string | number>;
  firstEventColdMs: number;
  firstEventWarmMs: number;
  fullScanMs: number;
  heapBytesPerOffer: number;
}

/** A demand that 750 of the offers below match (1,000 with its runtime, of which 3/4 have ≥ 8 GiB). */
export function demandFor(runtime: number): { properties: object; constraints: string } {
  return {
    properties: { 'golem.node.debug.subnet': 'public' },
    constraints: `(&(golem.runtime.name=rt${runtime})(golem.inf.mem.gib>=8))`,
  };
}

/** How many of `offerCount` offers (see offerProperties) the demand for `runtime` matches. */
export function matchesOf(runtime: number, offerCount: number): number {
  let n = 0;
  for (let i = runtime; i < offerCount; i += RUNTIMES) if ((i % 16) + 1 >= 8) n++;
  return n;
}

/**
 * Subscribe → the first ProposalEvent collected, in ms; `subscribed` gets the part the subscribe took. Then the rest
 * of the demand's matches are collected (untimed), so the next measurement starts on a quiet market rather than
 * behind this demand's remaining writes.
 */
export async function firstEventMs(
  base: string,
  requestor: string,
  runtime: number,
  offerCount: number,
  subscribed?: (ms: number) => void,
): Promise<number> {
  const start = nowMs();
  const demandId = (await call(base, requestor, 'POST', '/demands', demandFor(runtime))).body as string;
  subscribed?.(nowMs() - start);
  const events = `/demands/${demandId}/events?timeout=30`;
  if (((await call(base, requestor, 'GET', `${events}&maxEvents=1`)).body as unknown[]).length !== 1)
    throw new Error('no ProposalEvent arrived');
  const took = nowMs() - start;
  for (let left = matchesOf(runtime, offerCount) - 1; left > 0;) {
    const more = (await call(base, requestor, 'GET', `${events}&maxEvents=100`)).body as unknown[];
    if (more.length === 0) throw new Error(`${left} matches never arrived`);
    left -= more.length;
  }
  return took;
}

/** Five demands one after another (runtimes from `firstRuntime` on, so none repeats another's matches). */
export async function warmFirstEvents(
  base: string,
  requestor: string,
  firstRuntime: number,
  offerCount: number,
): Promise<number[]> {
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push(await firstEventMs(base, requestor, firstRuntime + i, offerCount));
  return warm;
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
      properties: offerProperties(i),
      constraints: '(golem.node.debug.subnet=public)',
    }),
  );
  const inserted = nowMs() - t0;
  while (market.matcher.size < indexedBefore + offerCount) await new Promise((resolve) => setTimeout(resolve, 50));
  const indexed = nowMs() - t0;

  const coldRuntime = 7;
  const demand = demandFor(coldRuntime);
  await warmClient(); // the API's first request is timed, not the bench client's
  await collectGarbageAndSettle(); // the garbage of inserting the offers is not the first demand's to pay
  let coldSubscribe = 0;
  const coldFirst = await firstEventMs(base, requestor, coldRuntime, offerCount, (ms) => (coldSubscribe = ms));
  collectGarbage();
  const heapBytesPerOffer = (process.memoryUsage().heapUsed - heapBefore) / offerCount;
  const warm = await warmFirstEvents(base, requestor, 20, offerCount);

  // Baseline: what a yagna-style full scan of the 100,000 offers costs in matching alone.
  const compiledDemand = compileSubscription({ id: 'd', ...demand });
  const compiledOffers = Array.from({ length: offerCount }, (_, i) =>
    compileSubscription({
      id: String(i),
      properties: offerProperties(i),
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
    'first demand → first event': fmt(coldFirst),
    'of which its POST': fmt(coldSubscribe),
    'next demands → first event (median of 5)': fmt(percentile(warm, 50)),
    [`baseline: full-scan match() of ${offerCount} offers`]: fmt(fullScan),
    'ratio warm first event / full scan': (percentile(warm, 50) / fullScan).toFixed(2),
    'heap per offer (instance: records + index)': `${(heapBytesPerOffer / 1024).toFixed(2)} KB`,
  };
  const firstEventWarmMs = percentile(warm, 50);
  return { row, firstEventColdMs: coldFirst, firstEventWarmMs, fullScanMs: fullScan, heapBytesPerOffer };
}

/**
 * Churn: many offer subscribe → unsubscribe cycles on one instance (in-process, 8 at a time). What stays behind:
 * Redis bytes per ended subscription (every key under the instance's prefix, before vs after) and the instance's
 * RSS and heap growth once the matcher has dropped them all. Of the Redis bytes, those of the subscription stream
 * (an ended subscription's 'end' entry, kept ENDED_STREAM_ENTRY_GRACE_MS for the matchers) are reported apart from
 * the rest (the tombstones). The figures are taken once that grace has passed (the trim the sweeper runs then is run
 * here at once), and also before (`...WithinGrace`).
 */
import type Redis from 'ioredis';
import type { MarketServices } from '../../src/market';
import { ENDED_STREAM_ENTRY_GRACE_MS } from '../../src/market/limits';
import { collectGarbage, redisBytesUnder } from '../support';

const CONCURRENCY = 8;

export interface ChurnFigures {
  cycles: number;
  seconds: number;
  redisBytesPerEndedSubscription: number;
  redisBytesPerEndedSubscriptionWithinGrace: number;
  streamBytesPerEndedSubscription: number;
  otherBytesPerEndedSubscription: number;
  redisKeysLeftPerEndedSubscription: number;
  rssGrowthMB: number;
  heapGrowthMB: number;
}

export async function churn(
  market: MarketServices,
  redis: Redis,
  prefix: string,
  streamKey: string,
  cycles: number,
): Promise<ChurnFigures> {
  const provider = `0x${'c'.repeat(40)}`;
  const indexedBefore = market.matcher.size;
  const streamBytes = async () => Number((await redis.memory('USAGE', streamKey, 'SAMPLES', 0)) ?? 0);
  const redisBefore = await redisBytesUnder(redis, prefix);
  const streamBefore = await streamBytes();
  collectGarbage();
  const memoryBefore = process.memoryUsage();
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cycles) {
        const i = next++;
        const record = await market.subscriptions.subscribe('offer', provider, {
          properties: { 'golem.runtime.name': `churn${i % 100}`, 'golem.inf.mem.gib': (i % 16) + 1, n: i },
          constraints: '(golem.node.debug.subnet=churn)',
        });
        await market.subscriptions.unsubscribe('offer', record.id, provider);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  for (let waited = 0; market.matcher.size > indexedBefore && waited < 30_000; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  collectGarbage();
  const memoryAfter = process.memoryUsage();
  const withinGrace = await redisBytesUnder(redis, prefix);
  await market.subscriptions.trimEndedEntries(Date.now() + ENDED_STREAM_ENTRY_GRACE_MS);
  const redisAfter = await redisBytesUnder(redis, prefix);
  const streamGrowth = (await streamBytes()) - streamBefore;
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return {
    cycles,
    seconds: Math.round(seconds * 10) / 10,
    redisBytesPerEndedSubscription: Math.round((redisAfter.bytes - redisBefore.bytes) / cycles),
    redisBytesPerEndedSubscriptionWithinGrace: Math.round((withinGrace.bytes - redisBefore.bytes) / cycles),
    streamBytesPerEndedSubscription: Math.round(streamGrowth / cycles),
    otherBytesPerEndedSubscription: Math.round((redisAfter.bytes - redisBefore.bytes - streamGrowth) / cycles),
    redisKeysLeftPerEndedSubscription: Math.round(((redisAfter.keys - redisBefore.keys) / cycles) * 100) / 100,
    rssGrowthMB: mb(memoryAfter.rss - memoryBefore.rss),
    heapGrowthMB: mb(memoryAfter.heapUsed - memoryBefore.heapUsed),
  };
}

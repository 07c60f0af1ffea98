import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { marketAuth } from '../auth';
import { TokenService } from '../../auth/tokens';
import type { Core } from '../../kernel/core';
import { Invalid, NotFound } from '../../kernel/errors';
import type { MarketServices } from '../../market';
import { parseProposalId, parseSubscriptionId } from '../../market/ids';
import type { Collected } from '../../market/negotiation/inbox';
import { renderSubscription, type SubscriptionKind } from '../../market/subscriptions/record';
import { MAX_SCAN_BATCH, type NewScan } from '../../market/subscriptions/scan';
import type { DemandOfferBase } from '../../market/subscriptions/service';
import { maxEvents, reasonBody, sendId, timeoutMs } from '../query';
import { validator } from '../validate';

const BASE = '/market-api/v1';
const isDemandOfferBase = validator<DemandOfferBase>('DemandOfferBase.json');
const isNewScan = validator<NewScan>('NewScan.json');

function demandOfferBody(ctx: Context): DemandOfferBase {
  const body: unknown = ctx.request.body;
  if (!ctx.request.rawBody || !isDemandOfferBase(body))
    throw new Invalid('Invalid request body: expected JSON {properties, constraints}');
  return body;
}

/** Scan ids are decimal counters; anything else is simply unknown (yagna: 404). */
function scanId(ctx: Context): string {
  const id = ctx.params.scanId;
  if (!/^\d{1,18}$/.test(id)) throw new NotFound(`Iterator with id "${id}" not found`);
  return id;
}

/**
 * Tells the inbox how a collect's response ended once it has: written out, or not (the client left first, or the
 * connection broke while writing). Then its events are delivered again. Node reports a response finished also when
 * its last write failed (it emits 'finish' from the write's callback before the socket records the error), so the
 * socket's error counts too: seen as an 'error' event or, when that comes only after the response's 'close', as the
 * error the socket was destroyed with.
 */
function settleWhenSent(ctx: Context, collected: Collected, log: Core['log']): void {
  const settle = (written: boolean): void => {
    collected.settle(written).catch((err: unknown) => log.warn({ err }, 'negotiation delivery not settled'));
  };
  if ((ctx.state.abort as AbortSignal).aborted) return settle(false);
  let broken = false;
  const onError = (): void => {
    broken = true;
  };
  ctx.socket.once('error', onError);
  ctx.res.once('close', () => {
    ctx.socket.off('error', onError);
    settle(ctx.res.writableFinished && !broken && !ctx.socket.errored);
  });
}

/** Market API: subscriptions, negotiation events, proposals, scans. */
export function mountMarketRoutes(router: Router, core: Core, market: MarketServices): void {
  const auth: Middleware = marketAuth(new TokenService(core));
  const maxWait = core.config.maxLongPollSeconds;
  const identity = (ctx: Context): string => ctx.state.identity as string;

  for (const [kind, plural] of [
    ['offer', 'offers'],
    ['demand', 'demands'],
  ] as Array<[SubscriptionKind, string]>) {
    const path = `${BASE}/${plural}`;
    const subscriptionId = (ctx: Context): string => parseSubscriptionId(ctx.params.subscriptionId);
    const proposalRef = (ctx: Context) => parseProposalId(ctx.params.proposalId);

    router.post(path, auth, async (ctx) => {
      const record = await market.subscriptions.subscribe(kind, identity(ctx), demandOfferBody(ctx));
      sendId(ctx, record.id, 201);
    });
    router.get(path, auth, async (ctx) => {
      ctx.body = (await market.subscriptions.list(kind, identity(ctx))).map(renderSubscription);
    });
    router.delete(`${path}/:subscriptionId`, auth, async (ctx) => {
      await market.subscriptions.unsubscribe(kind, subscriptionId(ctx), identity(ctx));
      ctx.status = 204;
    });
    router.get(`${path}/:subscriptionId/events`, auth, async (ctx) => {
      const id = subscriptionId(ctx);
      const wait = timeoutMs(ctx, maxWait);
      const max = maxEvents(ctx);
      const collected = await market.inbox.collect(kind, id, identity(ctx), wait, max, ctx.state.abort as AbortSignal);
      settleWhenSent(ctx, collected, core.log);
      ctx.body = collected.events;
    });
    router.get(`${path}/:subscriptionId/proposals/:proposalId`, auth, async (ctx) => {
      ctx.body = await market.negotiation.getProposal(kind, subscriptionId(ctx), proposalRef(ctx), identity(ctx));
    });
    router.post(`${path}/:subscriptionId/proposals/:proposalId`, auth, async (ctx) => {
      const id = subscriptionId(ctx);
      const ref = proposalRef(ctx);
      sendId(ctx, await market.negotiation.counter(kind, id, ref, identity(ctx), demandOfferBody(ctx)), 200);
    });
    router.post(`${path}/:subscriptionId/proposals/:proposalId/reject`, auth, async (ctx) => {
      const id = subscriptionId(ctx);
      const ref = proposalRef(ctx);
      await market.negotiation.reject(kind, id, ref, identity(ctx), reasonBody(ctx));
      ctx.status = 204;
    });
    // Property queries are capability level 2, not served (as yagna).
    router.post(`${path}/:subscriptionId/propertyQuery/:queryId`, auth, () => {
      throw new NotFound('Property queries are not supported.');
    });
  }

  router.post(`${BASE}/scan`, auth, async (ctx) => {
    const body: unknown = ctx.request.body;
    if (!ctx.request.rawBody || !isNewScan(body))
      throw new Invalid('Invalid request body: expected JSON {type, constraints?, timeout?}');
    sendId(ctx, await market.scans.begin(identity(ctx), body), 201);
  });
  router.get(`${BASE}/scan/:scanId/events`, auth, async (ctx) => {
    const id = scanId(ctx);
    if (ctx.get('accept').includes('text/event-stream')) return streamScan(ctx, core, market, id, identity(ctx));
    const wait = timeoutMs(ctx, maxWait);
    const max = maxEvents(ctx, MAX_SCAN_BATCH, MAX_SCAN_BATCH);
    ctx.body = await market.scans.collect(id, identity(ctx), wait, max, ctx.state.abort as AbortSignal);
  });
  router.delete(`${BASE}/scan/:scanId`, auth, async (ctx) => {
    await market.scans.end(scanId(ctx), identity(ctx));
    ctx.status = 204;
  });
}

/**
 * The SSE variant of scan collection: `event: offer` per offer, until the client leaves, the scan ends or shutdown.
 * Written to the raw response (Koa's stream piping would report a client's disconnect as an error).
 */
async function streamScan(ctx: Context, core: Core, market: MarketServices, id: string, caller: string): Promise<void> {
  await market.scans.load(id, caller); // 404 / 403 as a normal response, before the stream starts
  // The request's own abort signal is released when the handler returns; the stream outlives it.
  const gone = new AbortController();
  core.waiter.inheritGuard(ctx.state.abort as AbortSignal | undefined, gone.signal); // a revoked token ends it
  const res = ctx.res;
  res.once('close', () => gone.abort());
  ctx.respond = false;
  ctx.status = 200;
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  void (async () => {
    try {
      for await (const offers of market.scans.follow(id, caller, gone.signal)) {
        for (const offer of offers) res.write(`event: offer\ndata: ${JSON.stringify(offer)}\n\n`);
      }
    } catch (err) {
      if (!(err instanceof NotFound)) core.log.warn({ err }, 'scan stream ended with an error');
    } finally {
      res.end();
    }
  })();
}

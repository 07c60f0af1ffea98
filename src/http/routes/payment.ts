import Router from '@koa/router';
import type { Context } from 'koa';
import { marketAuth } from '../auth';
import { TokenService } from '../../auth/tokens';
import type { Core } from '../../kernel/core';
import { Invalid } from '../../kernel/errors';
import { parseRfc3339Micros } from '../../market/time';
import type { PaymentService } from '../../payment/module';
import type { DocumentKind } from '../../payment/records';
import type { Acceptance, AllocationUpdate, NewAllocation, Rejection } from '../../types/schemas';
import { maxEvents, queryValue, timeoutMs } from '../query';
import { validator } from '../validate';

const isNewAllocation = validator<NewAllocation>('NewAllocation.json');
const isAllocationUpdate = validator<AllocationUpdate>('AllocationUpdate.json');
const isAcceptance = validator<Acceptance>('Acceptance.json');
const isRejection = validator<Rejection>('Rejection.json');

/** ya-ts-client's default cursor: before any event. */
const EPOCH_MICROS = parseRfc3339Micros('2016-11-11T15:12:00Z') as number;

function afterMicros(ctx: Context): number {
  const raw = queryValue(ctx, 'afterTimestamp');
  if (raw === undefined) return EPOCH_MICROS;
  const micros = parseRfc3339Micros(raw);
  if (micros === undefined)
    throw new Invalid(`Query deserialize error: afterTimestamp must be an RFC 3339 date-time, got '${raw}'`);
  return micros;
}

/** `allocationIds`, repeated (`?allocationIds=a&allocationIds=b`, as ya-ts-client sends them) or comma-separated. */
function allocationIds(ctx: Context): string[] {
  const raw = ctx.query.allocationIds;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.flatMap((v) => v.split(',')).filter((v) => v !== '');
}

/**
 * yagna's Payment API (`/payment-api/v1`) for requestors and providers: allocations, demand decorations, invoices
 * and debit notes with their event long-polls. Thin: parse, call the PaymentService, render.
 */
export function mountPaymentRoutes(root: Router, core: Core, payment: PaymentService): void {
  const auth = marketAuth(new TokenService(core));
  const maxWait = core.config.maxLongPollSeconds;
  const identity = (ctx: Context): string => ctx.state.identity as string;
  const { allocations, documents } = payment;
  const router = new Router({ prefix: '/payment-api/v1' });

  router.post('/allocations', auth, async (ctx) => {
    const body: unknown = ctx.request.body;
    isNewAllocation(body);
    ctx.status = 201;
    ctx.body = await allocations.create(identity(ctx), body as NewAllocation);
  });
  router.get('/allocations', auth, async (ctx) => {
    ctx.body = await allocations.list(identity(ctx));
  });
  router.get('/allocations/:allocationId', auth, async (ctx) => {
    ctx.body = await allocations.get(identity(ctx), ctx.params.allocationId);
  });
  router.put('/allocations/:allocationId', auth, async (ctx) => {
    const body: unknown = ctx.request.body;
    isAllocationUpdate(body);
    ctx.body = await allocations.amend(identity(ctx), ctx.params.allocationId, body as AllocationUpdate);
  });
  router.delete('/allocations/:allocationId', auth, async (ctx) => {
    await allocations.release(identity(ctx), ctx.params.allocationId);
    ctx.status = 200;
    ctx.body = {};
  });
  router.get('/demandDecorations', auth, async (ctx) => {
    ctx.body = await payment.demandDecorations(identity(ctx), allocationIds(ctx));
  });

  const mountDocuments = (kind: DocumentKind, plural: string, events: string, idParam: string): void => {
    router.get(`/${plural}`, auth, async (ctx) => {
      ctx.body = await documents.list(kind, identity(ctx));
    });
    router.get(`/${plural}/:${idParam}`, auth, async (ctx) => {
      ctx.body = await documents.get(kind, identity(ctx), ctx.params[idParam]);
    });
    router.post(`/${plural}/:${idParam}/accept`, auth, async (ctx) => {
      timeoutMs(ctx, maxWait); // validated for compatibility; acceptance is immediate here
      const body: unknown = ctx.request.body;
      isAcceptance(body);
      await documents.accept(kind, identity(ctx), ctx.params[idParam], body as Acceptance);
      ctx.status = 200;
      ctx.body = {};
    });
    router.post(`/${plural}/:${idParam}/reject`, auth, async (ctx) => {
      timeoutMs(ctx, maxWait);
      const body: unknown = ctx.request.body;
      isRejection(body);
      await documents.reject(kind, identity(ctx), ctx.params[idParam], body as Rejection);
      ctx.status = 200;
      ctx.body = {};
    });
    router.get(`/${events}`, auth, async (ctx) => {
      ctx.body = await payment.events.collect(kind, identity(ctx), {
        afterMicros: afterMicros(ctx),
        maxEvents: maxEvents(ctx),
        appSessionId: queryValue(ctx, 'appSessionId'),
        timeoutMs: timeoutMs(ctx, maxWait),
        signal: ctx.state.abort as AbortSignal,
      });
    });
  };
  mountDocuments('invoice', 'invoices', 'invoiceEvents', 'invoiceId');
  mountDocuments('debitNote', 'debitNotes', 'debitNoteEvents', 'debitNoteId');
  root.use(router.routes());
}

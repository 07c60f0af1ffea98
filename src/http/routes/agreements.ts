import Router from '@koa/router';
import type { Context } from 'koa';
import { marketAuth } from '../auth';
import { TokenService } from '../../auth/tokens';
import type { Core } from '../../kernel/core';
import { Invalid } from '../../kernel/errors';
import { AGREEMENT_STATES, type AgreementState } from '../../market/agreements/record';
import type { AgreementProposal, AgreementService } from '../../market/agreements/service';
import { parseAgreementId } from '../../market/ids';
import { parseRfc3339Micros } from '../../market/time';
import { maxEvents, queryValue, reasonBody, sendId, timeoutMs } from '../query';
import { validator } from '../validate';

const isAgreementProposal = validator<AgreementProposal>('AgreementProposal.json');

/** ya-ts-client's default cursor: before any event. */
const EPOCH_CURSOR = '2016-11-11T15:12:00Z';

function dateMicros(ctx: Context, name: string): number | undefined {
  const raw = queryValue(ctx, name);
  if (raw === undefined) return undefined;
  const micros = parseRfc3339Micros(raw);
  if (micros === undefined)
    throw new Invalid(`Query deserialize error: ${name} must be an RFC 3339 date-time, got '${raw}'`);
  return micros;
}

function stateFilter(ctx: Context): AgreementState | undefined {
  const raw = queryValue(ctx, 'state');
  if (raw === undefined) return undefined;
  if (!(AGREEMENT_STATES as readonly string[]).includes(raw)) {
    throw new Invalid(
      `Query deserialize error: unknown variant \`${raw}\`, expected one of ${AGREEMENT_STATES.join(', ')}`,
    );
  }
  return raw as AgreementState;
}

/** Agreement endpoints of the Market API. Thin: parse, call the AgreementService, render. */
export function mountAgreementRoutes(root: Router, core: Core, agreements: AgreementService): void {
  const auth = marketAuth(new TokenService(core));
  const maxWait = core.config.maxLongPollSeconds;
  const identity = (ctx: Context): string => ctx.state.identity as string;
  const agreementId = (ctx: Context): string => parseAgreementId(ctx.params.agreementId);
  const noContent = (ctx: Context): void => {
    ctx.status = 204;
  };

  const router = new Router({ prefix: '/market-api/v1' });
  router.post('/agreements', auth, async (ctx) => {
    const body: unknown = ctx.request.body;
    isAgreementProposal(body);
    sendId(ctx, await agreements.create(identity(ctx), body as AgreementProposal), 200);
  });
  router.get('/agreements', auth, async (ctx) => {
    ctx.body = await agreements.list(identity(ctx), {
      state: stateFilter(ctx),
      afterMicros: dateMicros(ctx, 'afterDate'),
      beforeMicros: dateMicros(ctx, 'beforeDate'),
      appSessionId: queryValue(ctx, 'appSessionId'),
    });
  });
  router.get('/agreements/:agreementId', auth, async (ctx) => {
    ctx.body = await agreements.get(identity(ctx), agreementId(ctx));
  });
  router.post('/agreements/:agreementId/confirm', auth, async (ctx) => {
    await agreements.confirm(identity(ctx), agreementId(ctx), queryValue(ctx, 'appSessionId'));
    noContent(ctx);
  });
  router.post('/agreements/:agreementId/wait', auth, async (ctx) => {
    await agreements.waitForApproval(
      identity(ctx),
      agreementId(ctx),
      timeoutMs(ctx, maxWait),
      ctx.state.abort as AbortSignal,
    );
    noContent(ctx);
  });
  router.post('/agreements/:agreementId/approve', auth, async (ctx) => {
    timeoutMs(ctx, maxWait); // validated for compatibility; approval is immediate here
    await agreements.approve(identity(ctx), agreementId(ctx), queryValue(ctx, 'appSessionId'));
    noContent(ctx);
  });
  router.post('/agreements/:agreementId/reject', auth, async (ctx) => {
    await agreements.reject(identity(ctx), agreementId(ctx), reasonBody(ctx));
    noContent(ctx);
  });
  router.post('/agreements/:agreementId/cancel', auth, async (ctx) => {
    await agreements.cancel(identity(ctx), agreementId(ctx), reasonBody(ctx));
    noContent(ctx);
  });
  router.post('/agreements/:agreementId/terminate', auth, async (ctx) => {
    await agreements.terminate(identity(ctx), agreementId(ctx), reasonBody(ctx));
    noContent(ctx);
  });
  const terminationReason = async (ctx: Context): Promise<void> => {
    ctx.body = await agreements.terminationReason(identity(ctx), agreementId(ctx));
  };
  router.get('/agreements/:agreementId/terminate/reason', auth, terminationReason);
  router.post('/agreements/:agreementId/terminate/reason', auth, terminationReason);
  router.get('/agreementEvents', auth, async (ctx) => {
    const after = dateMicros(ctx, 'afterTimestamp') ?? (parseRfc3339Micros(EPOCH_CURSOR) as number);
    ctx.body = await agreements.events.collect(identity(ctx), {
      afterMicros: after,
      maxEvents: maxEvents(ctx),
      appSessionId: queryValue(ctx, 'appSessionId'),
      timeoutMs: timeoutMs(ctx, maxWait),
      signal: ctx.state.abort as AbortSignal,
    });
  });
  root.use(router.routes());
}

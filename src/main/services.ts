import { createActivity, type ActivityModule } from '../activity';
import { revokedTokensOf } from '../auth/revocations';
import { createCompute, type ComputeApi } from '../compute/api';
import { RedisResultStore } from '../compute/jobs/results';
import type { Core, Lifecycle } from '../kernel/core';
import { createInvoke, type InvokeServices } from '../invoke';
import { createMarket, type MarketServices } from '../market';
import { DebitNoting } from '../payment/debitNotes';
import { onAgreementTerminated } from '../payment/hook';
import { PaymentService } from '../payment/module';

/** The domain services of one API instance, built once by the composition root. */
export interface ApiServices {
  market: MarketServices;
  /** The agreement service; also compute's AgreementLookup. */
  agreements: MarketServices['agreements'];
  compute: ComputeApi;
  payment: PaymentService;
  invoke: InvokeServices;
  activity: ActivityModule;
  debitNotes: DebitNoting;
}

/** Builds every domain service of the API and lists their background work in start order. */
export function buildServices(core: Core): { services: ApiServices; lifecycles: Lifecycle[] } {
  const market = createMarket(core);
  // Jobs' results and activities' published files share one result store.
  const results = new RedisResultStore(core);
  const compute = createCompute(core, market.services.agreements, results);
  const payment = new PaymentService(core);
  const invoke = createInvoke(core, compute.store, market.services.agreements);
  const activity = createActivity(core, market.services.agreements, results);
  market.services.agreements.terminations.listen(async (agreement) => {
    const cpuSeconds = await activity.service.endOfAgreement(agreement.agreementId, agreement.providerId);
    await onAgreementTerminated(core, agreement, cpuSeconds);
  });
  // Debit notes of priced activities: the activity domain keeps the schedule, the ledger issues the notes.
  const debitNotes = new DebitNoting(core, {
    claimDue: (nowMs, limit) => activity.service.claimDueDebitNotes(nowMs, limit),
    terms: (agreementId) => market.services.agreements.billingView(agreementId),
  });
  return {
    services: {
      market: market.services,
      agreements: market.services.agreements,
      compute,
      payment,
      invoke,
      activity,
      debitNotes,
    },
    lifecycles: [revokedTokensOf(core), ...market.lifecycles, compute, invoke.webhooks, activity.provider, debitNotes],
  };
}

import type { Core, Lifecycle } from '../kernel/core';
import { AgreementExpirySweeper } from './agreementExpiry';
import { AgreementService, type NegotiationHooks } from './agreements';

/** Agreements of one API instance: the service and its expiry sweeper. `market`: the negotiation side's hooks. */
export function createAgreements(core: Core, market?: NegotiationHooks): Lifecycle & { service: AgreementService } {
  const service = new AgreementService(core, market);
  const sweeper = new AgreementExpirySweeper(core, service);
  return {
    service,
    start: async () => sweeper.start(),
    stop: () => sweeper.stop(),
  };
}

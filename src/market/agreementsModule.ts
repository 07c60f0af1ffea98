import type { Core, Module } from '../core';
import { mountAgreementRoutes } from '../http/routes/agreements';
import { AgreementExpirySweeper } from './agreementExpiry';
import { AgreementService, type NegotiationHooks } from './agreements';

/**
 * Agreements of one API instance: the service, its routes and the expiry sweeper. `market`: the negotiation side's
 * hooks.
 */
export function agreementsModule(core: Core, market?: NegotiationHooks): Module {
  const agreements = new AgreementService(core, market);
  const sweeper = new AgreementExpirySweeper(core, agreements);
  return {
    name: 'agreements',
    mount: (router) => mountAgreementRoutes(router, core, agreements),
    start: async () => sweeper.start(),
    stop: () => sweeper.stop(),
  };
}

import type { Core, Lifecycle } from '../kernel/core';
import { AgreementExpirySweeper } from './agreements/expiry';
import { AgreementService } from './agreements/service';
import { Inbox } from './negotiation/inbox';
import { Negotiation } from './negotiation/service';
import { SeenProposals } from './negotiation/seenProposals';
import { Matcher } from './subscriptions/matcher';
import { Scans } from './subscriptions/scan';
import { Subscriptions } from './subscriptions/service';

/** The market's services: what routes (and other domains, e.g. compute through AgreementLookup) call. */
export interface MarketServices {
  subscriptions: Subscriptions;
  negotiation: Negotiation;
  inbox: Inbox;
  scans: Scans;
  agreements: AgreementService;
  /** This instance's matcher (a lifecycle; exposed for its index size, which benches and tests watch). */
  matcher: Matcher;
}

/**
 * The market of one API instance, in three contexts: subscriptions (with the matcher and scans), negotiation
 * (proposals and the event inbox) and agreements (state machine, event log, expiry, hand-off to compute).
 * Dependencies run one way: agreements → negotiation → subscriptions; the inbox renders agreements it delivers.
 * `lifecycles` are the background loops, in start order.
 */
export function createMarket(core: Core): { services: MarketServices; lifecycles: Lifecycle[] } {
  const subscriptions = new Subscriptions(core);
  const seen = new SeenProposals();
  const negotiation = new Negotiation(core, seen);
  const agreements = new AgreementService(core, negotiation);
  const inbox = new Inbox(core, seen, (id, viewer) => agreements.render(id, viewer));
  const scans = new Scans(core, subscriptions);
  const matcher = new Matcher(core, subscriptions, (writerCore) => new Negotiation(writerCore, seen));
  const expiry = new AgreementExpirySweeper(core, agreements);
  return {
    services: { subscriptions, negotiation, inbox, scans, agreements, matcher },
    lifecycles: [matcher, subscriptions, expiry, inbox],
  };
}

import type { Core, Lifecycle } from '../kernel/core';
import { parseProposalId, parseSubscriptionId, renderProposalId, type Role } from './ids';
import { SWEEP_INTERVAL_MS } from './limits';
import { Matcher } from './matcher';
import { Negotiation } from './negotiation';
import { NegotiationEvents, type AgreementRenderer } from './negotiationEvents';
import { Proposals, type ProposalView } from './proposals';
import { Scans } from './scan';
import { Subscriptions, type SubscriptionRecord } from './subscriptions';

/**
 * The market of one API instance: subscriptions, matching, negotiation, event queues and scans. Other modules
 * (agreements) use it through the methods below; the HTTP routes through its parts.
 */
export class MarketService implements Lifecycle {
  readonly subscriptions: Subscriptions;
  readonly proposals: Proposals;
  readonly negotiation: Negotiation;
  readonly events: NegotiationEvents;
  readonly scans: Scans;
  readonly matcher: Matcher;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;

  /**
   * Id helpers for other modules: `parseProposalId` → { side, hex } (400 when malformed), `renderProposalId(hex,
   * viewer)`.
   */
  readonly parseProposalId = parseProposalId;
  readonly parseSubscriptionId = parseSubscriptionId;
  readonly renderProposalId = renderProposalId;

  constructor(readonly core: Core) {
    this.subscriptions = new Subscriptions(core);
    this.proposals = new Proposals(core);
    this.negotiation = new Negotiation(core, this.subscriptions, this.proposals);
    this.events = new NegotiationEvents(core, this.subscriptions);
    this.scans = new Scans(core, this.subscriptions);
    this.matcher = new Matcher(core, this.subscriptions, this.proposals);
  }

  getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    return this.subscriptions.get(id);
  }

  /**
   * (Re)starts negotiation of a demand/offer pair with a fresh Initial proposal queued on the demand (§4.2: after an
   * agreement is terminated). Idempotent per `generation` (pass e.g. the terminated agreement's id): calling it again
   * with the same generation creates nothing. Returns the proposal's hex, or undefined if either side is not active.
   */
  createInitialProposal(demandId: string, offerId: string, generation?: string): Promise<string | undefined> {
    return this.proposals.createInitial(demandId, offerId, generation);
  }

  /**
   * The proposal `hex` as `viewer` sees it (R-/P- ids), or undefined if it does not exist or that side cannot see it.
   */
  renderProposal(hex: string, viewer: Role): Promise<ProposalView | undefined> {
    return this.proposals.render(hex, viewer);
  }

  /** How collect renders an `AgreementEvent` entry for a party; set by the agreements module. */
  setAgreementRenderer(renderer: AgreementRenderer): void {
    this.events.setAgreementRenderer(renderer);
  }

  async start(): Promise<void> {
    await this.matcher.start();
    this.sweeper = setInterval(() => {
      this.sweeping ??= this.subscriptions
        .sweepExpired()
        .catch((err: unknown) => this.core.log.warn({ err }, 'market: expiry sweep failed'))
        .finally(() => (this.sweeping = undefined));
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sweeping;
    await this.matcher.stop();
  }
}

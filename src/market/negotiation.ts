import type { Core } from '../kernel/core';
import { DomainError, Invalid, Gone, NotFound } from '../kernel/errors';
import { compileSubscription, ConstraintParseError, match, type CompiledSubscription } from './constraints';
import { counterProposalHex, renderProposalId, type ProposalRef, type Role } from './ids';
import { MARKET_RETENTION_MS, MAX_QUEUED_EVENTS } from './limits';
import { proposalEventEntry, rejectedEventEntry, viewerOf } from './negotiationEvents';
import { renderProposal, visibleTo, type ProposalRecord, type ProposalView, type Proposals } from './proposals';
import { compileBody, type DemandOfferBase, type SubscriptionKind, type Subscriptions } from './subscriptions';
import type { Reason } from '../types/schemas';
export type { Reason };

/** What the Lua transitions answer when they refuse (see proposal_counter.lua / proposal_reject.lua). */
type Refusal =
  | 'notfound'
  | 'own'
  | 'retry'
  | 'countered'
  | 'accepted'
  | 'offer-missing'
  | 'offer-unsubscribed'
  | 'offer-expired'
  | 'demand-missing';

/** A transition that lost to a concurrent agreement change is re-read and retried this many times. */
const MAX_ATTEMPTS = 3;

/**
 * Counter-proposals, rejections and proposal reads on one subscription (golem-market-api.md §2.3, §4.4).
 * The caller's side is the subscription's kind (demand → requestor, offer → provider); each transition is one Lua
 * script.
 */
export class Negotiation {
  constructor(
    private readonly core: Core,
    private readonly subscriptions: Subscriptions,
    private readonly proposals: Proposals,
  ) {}

  async getProposal(
    kind: SubscriptionKind,
    subscriptionId: string,
    ref: ProposalRef,
    caller: string,
  ): Promise<ProposalView> {
    const { record, role } = await this.resolve(kind, subscriptionId, ref, caller, 'read');
    return renderProposal(record, role);
  }

  /** Answers the proposal `ref` with the caller's counter-proposal; returns its id as the caller sees it. */
  async counter(
    kind: SubscriptionKind,
    subscriptionId: string,
    ref: ProposalRef,
    caller: string,
    body: DemandOfferBase,
  ): Promise<string> {
    const { keys } = this.core;
    const newHex = counterProposalHex(ref.hex);
    const compiled = compileBody(newHex, body);
    for (let attempt = 1; ; attempt++) {
      const { record, role } = await this.resolve(kind, subscriptionId, ref, caller, 'react');
      if (record.issuer === role) throw refusal('own', record, role, 'counter');
      this.requireStrongMatch(compiled, record, role);
      const recipient = role === 'requestor' ? record.offerId : record.demandId;
      const now = new Date();
      const outcome = await this.core.scripts.run<'ok' | Refusal>(
        'proposal_counter',
        [
          keys.proposal(record.id),
          keys.proposal(newHex),
          keys.subscription(record.demandId),
          keys.subscription(record.offerId),
          keys.negotiationEvents(recipient),
          record.agreementId ? keys.agreement(record.agreementId) : keys.proposal(record.id),
        ],
        [
          newHex,
          role,
          subscriptionId,
          record.agreementId,
          JSON.stringify(compiled.flatProperties),
          body.constraints,
          now.getTime(),
          now.toISOString(),
          proposalEventEntry(newHex, now),
          keys.wakeChannel(keys.negotiationEvents(recipient)),
          MAX_QUEUED_EVENTS,
          MARKET_RETENTION_MS,
        ],
      );
      if (outcome === 'ok') return renderProposalId(newHex, role);
      if (outcome !== 'retry' || attempt === MAX_ATTEMPTS) throw refusal(outcome, record, role, 'counter');
    }
  }

  /**
   * Rejects the proposal `ref`; its issuer gets a ProposalRejectedEvent carrying `reason` (when it ever saw the
   * proposal).
   */
  async reject(
    kind: SubscriptionKind,
    subscriptionId: string,
    ref: ProposalRef,
    caller: string,
    reason: Reason | null,
  ): Promise<void> {
    const { keys } = this.core;
    const { record, role } = await this.resolve(kind, subscriptionId, ref, caller, 'react');
    const issuerSubscription = record.issuer === 'requestor' ? record.demandId : record.offerId;
    const now = new Date();
    const outcome = await this.core.scripts.run<'ok' | Refusal>(
      'proposal_reject',
      [
        keys.proposal(record.id),
        keys.subscription(record.demandId),
        keys.subscription(record.offerId),
        keys.negotiationNotices(issuerSubscription),
      ],
      [
        role,
        subscriptionId,
        reason ? JSON.stringify(reason) : '',
        now.getTime(),
        rejectedEventEntry(record.id, now, reason),
        keys.wakeChannel(keys.negotiationEvents(issuerSubscription)),
        MAX_QUEUED_EVENTS,
        keys.negotiationEvents(issuerSubscription),
      ],
    );
    if (outcome !== 'ok') throw refusal(outcome, record, role, 'reject');
  }

  /**
   * The proposal `ref` of the caller's subscription, as the caller's side sees it. Another identity's subscription,
   * a proposal of another subscription, or one the caller's side cannot see: all "not found", indistinguishably.
   */
  private async resolve(
    kind: SubscriptionKind,
    subscriptionId: string,
    ref: ProposalRef,
    caller: string,
    purpose: 'read' | 'react',
  ): Promise<{ record: ProposalRecord; role: Role }> {
    const role = viewerOf(kind);
    const notFound = new NotFound(
      `Proposal [${renderProposalId(ref.hex, ref.side)}] not found (subscription [${subscriptionId}]).`,
    );
    const subscription = await this.subscriptions.get(subscriptionId);
    if (!subscription) {
      if (purpose === 'react') throw new Invalid(`Subscription [${subscriptionId}] wasn't found.`);
      throw notFound;
    }
    if (subscription.owner !== caller || subscription.kind !== kind || ref.side !== role) throw notFound;
    const record = await this.proposals.get(ref.hex);
    const own = role === 'requestor' ? record?.demandId : record?.offerId;
    if (!record || own !== subscriptionId || !visibleTo(record, role)) throw notFound;
    return { record, role };
  }

  /** A counter-proposal must match what it answers with a definite Yes both ways (golem-market-api.md §5.4). */
  private requireStrongMatch(proposed: CompiledSubscription, previous: ProposalRecord, role: Role): void {
    let answered: CompiledSubscription;
    try {
      answered = compileSubscription({
        id: previous.id,
        properties: JSON.parse(previous.properties),
        constraints: previous.constraints,
      });
    } catch (err) {
      if (err instanceof ConstraintParseError)
        throw new Invalid(
          `Can't match with previous Proposal [${renderProposalId(previous.id, role)}]. Error: ${err.message}`,
        );
      throw err;
    }
    const [demand, offer] = role === 'requestor' ? [proposed, answered] : [answered, proposed];
    const result = match(demand, offer);
    if (result !== 'Yes') {
      throw new Invalid(
        `Proposal properties don't match previous Proposal [${renderProposalId(previous.id, role)}] (match: ${result}).`,
      );
    }
  }
}

function refusal(reason: Refusal, record: ProposalRecord, role: Role, action: 'counter' | 'reject'): DomainError {
  const id = renderProposalId(record.id, role);
  switch (reason) {
    case 'own':
      return new Invalid(`Can't react to own Proposal [${id}].`);
    case 'countered':
    case 'retry':
      return new Gone(`Proposal [${id}] already has counter proposal. Can't counter for the second time.`);
    case 'accepted':
      return new Gone(`Proposal [${id}] was promoted to an Agreement. Can't reject it.`);
    case 'offer-missing':
      return new Invalid(`Subscription [${record.offerId}] wasn't found.`);
    case 'offer-unsubscribed':
      return new Invalid(`Subscription [${record.offerId}] was already unsubscribed.`);
    case 'offer-expired':
      // yagna: an expired offer is 410 on counter but, like every validation error on reject, 400 there.
      return action === 'counter'
        ? new Gone(`Subscription [${record.offerId}] expired.`)
        : new Invalid(`Subscription [${record.offerId}] expired.`);
    case 'demand-missing':
      return new Invalid(`Subscription [${record.demandId}] wasn't found.`);
    case 'notfound':
      return new NotFound(`Proposal [${id}] not found.`);
  }
}

import path from 'node:path';
import type { Core } from '../../kernel/core';
import { Invalid, NotFound } from '../../kernel/errors';
import { defineScript, hashOf, outcome } from '../../store/scripts';
import { compileSubscription, ConstraintParseError, match, type CompiledSubscription } from '../constraints';
import {
  counterProposalHex,
  initialProposalHex,
  renderProposalId,
  roleOfKind,
  type ProposalRef,
  type Role,
} from '../ids';
import { MARKET_RETENTION_MS, MAX_QUEUED_EVENTS } from '../limits';
import type { SubscriptionKind } from '../subscriptions/record';
import { compileBody, type DemandOfferBase } from '../subscriptions/service';
import {
  parseProposalRecord,
  proposalEventEntry,
  proposalToHash,
  rejectedEventEntry,
  renderProposal,
  visibleTo,
  type ProposalRecord,
  type ProposalView,
  type Reason,
} from './proposal';
import { refusal, type Refusal } from './refusals';
import type { SeenProposals } from './seenProposals';
export type { Reason };

const code = (reply: unknown): 'ok' | Refusal => outcome(reply).code as 'ok' | Refusal;

const initialScript = defineScript({
  name: 'proposal.initial',
  file: path.join(__dirname, 'lua', 'initial.lua'),
  keys: ['proposal', 'demand', 'offer', 'queue'],
  args: ['now', 'entry', 'queueChannel', 'bound', 'retentionMs'],
  parse: (reply) => outcome(reply).code as 'ok' | 'exists' | 'inactive',
});

const counterScript = defineScript({
  name: 'proposal.counter',
  file: path.join(__dirname, 'lua', 'counter.lua'),
  keys: ['answered', 'proposal', 'demand', 'offer', 'queue'],
  args: [
    'role',
    'subscriptionId',
    'caller',
    'seenAgreementId',
    'newId',
    'now',
    'entry',
    'queueChannel',
    'bound',
    'retentionMs',
  ],
  parse: code,
});

/** Whose the path's subscription is (none: unknown) and, when it is the caller's, the proposal (if any). */
interface Resolved {
  subscription?: { kind: SubscriptionKind; mine: boolean };
  record?: ProposalRecord;
}

const resolveScript = defineScript({
  name: 'proposal.resolve',
  file: path.join(__dirname, 'lua', 'resolve.lua'),
  keys: ['subscription', 'proposal'],
  args: ['now', 'caller'],
  parse: (reply): Resolved => {
    const { code, values } = outcome(reply);
    if (code !== 'ok') return {};
    const [kind, whose, hash] = values as [string, string, string[] | undefined];
    const subscription = { kind: kind === 'offer' ? ('offer' as const) : ('demand' as const), mine: whose === 'mine' };
    return { subscription, record: hash ? parseProposalRecord(hashOf(hash)) : undefined };
  },
});

const rejectScript = defineScript({
  name: 'proposal.reject',
  file: path.join(__dirname, 'lua', 'reject.lua'),
  keys: ['proposal', 'demand', 'offer', 'notices', 'queue'],
  args: ['role', 'subscriptionId', 'reason', 'now', 'entry', 'queueChannel', 'bound'],
  parse: code,
});

/** A transition that lost to a concurrent agreement change is re-read and retried this many times. */
const MAX_ATTEMPTS = 3;

/**
 * Proposals: the Initial one of each matching pair, counter-proposals, rejections and reads on one subscription.
 * The caller's side is the subscription's kind (demand → requestor, offer → provider); each transition is one Lua
 * script.
 */
export class Negotiation {
  constructor(
    private readonly core: Core,
    private readonly seen: SeenProposals,
  ) {}

  /**
   * Creates the Initial proposal of a demand/offer pair (the offer's properties, issued by the provider, seen by the
   * requestor only) and queues one ProposalEvent on the demand. Idempotent per `generation`: the id is derived from
   * (demandId, offerId, generation), so any number of instances or retries create it once. Pass e.g. a terminated
   * agreement's id to negotiate the pair again. Returns the hex, or undefined when either side is no longer active.
   */
  async createInitial(demandId: string, offerId: string, generation = '0'): Promise<string | undefined> {
    const { keys } = this.core;
    const hex = initialProposalHex(demandId, offerId, generation);
    const now = new Date();
    const created = await this.core.scripts.call(
      initialScript,
      {
        proposal: keys.proposal(hex),
        demand: keys.subscription(demandId),
        offer: keys.subscription(offerId),
        queue: keys.negotiationEvents(demandId),
      },
      {
        now: now.getTime(),
        entry: proposalEventEntry(hex, now),
        queueChannel: keys.wakeChannel(keys.negotiationEvents(demandId)),
        bound: MAX_QUEUED_EVENTS,
        retentionMs: MARKET_RETENTION_MS,
      },
      {
        args: proposalToHash({
          id: hex,
          issuer: 'provider',
          state: 'Initial',
          timestamp: now.toISOString(),
          prevId: '',
          counterId: '',
          agreementId: '',
          providerKnows: false,
          reason: '',
        }),
      },
    );
    return created === 'inactive' ? undefined : hex;
  }

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
    const newHex = counterProposalHex(ref.hex);
    const role = roleOfKind(kind);
    // The body is flattened and compiled only once the caller is known to own the proposal.
    let compiled: CompiledSubscription | undefined;
    const seen = ref.side === role ? this.seen.get(ref.hex, caller, subscriptionId, role) : undefined;
    if (seen && seen.issuer !== role) {
      compiled = compileBody(newHex, body);
      this.requireStrongMatch(compiled, seen, role);
      if ((await this.writeCounter(seen, role, subscriptionId, caller, newHex, compiled, body)) === 'ok')
        return renderProposalId(newHex, role);
    }
    for (let attempt = 1; ; attempt++) {
      const { record } = await this.resolve(kind, subscriptionId, ref, caller, 'react');
      if (record.issuer === role) throw refusal('own', record, role, 'counter');
      compiled ??= compileBody(newHex, body);
      this.requireStrongMatch(compiled, record, role);
      const result = await this.writeCounter(record, role, subscriptionId, caller, newHex, compiled, body);
      if (result === 'ok') return renderProposalId(newHex, role);
      if (result !== 'retry' || attempt === MAX_ATTEMPTS) throw refusal(result, record, role, 'counter');
    }
  }

  /** counter.lua: `newHex` answers `record` (as the caller last knew it), if the state still allows. */
  private writeCounter(
    record: ProposalRecord,
    role: Role,
    subscriptionId: string,
    caller: string,
    newHex: string,
    compiled: CompiledSubscription,
    body: DemandOfferBase,
  ): Promise<'ok' | Refusal> {
    const { keys } = this.core;
    const recipient = role === 'requestor' ? record.offerId : record.demandId;
    const now = new Date();
    const proposal: ProposalRecord = {
      ...record,
      id: newHex,
      issuer: role,
      properties: JSON.stringify(compiled.flatProperties),
      constraints: body.constraints,
      state: 'Draft',
      timestamp: now.toISOString(),
      prevId: record.id,
      counterId: '',
      agreementId: '',
      providerKnows: true,
      reason: '',
    };
    return this.core.scripts.call(
      counterScript,
      {
        answered: keys.proposal(record.id),
        proposal: keys.proposal(newHex),
        demand: keys.subscription(record.demandId),
        offer: keys.subscription(record.offerId),
        queue: keys.negotiationEvents(recipient),
      },
      {
        role,
        subscriptionId,
        caller,
        seenAgreementId: record.agreementId,
        newId: newHex,
        now: now.getTime(),
        entry: proposalEventEntry(newHex, now),
        queueChannel: keys.wakeChannel(keys.negotiationEvents(recipient)),
        bound: MAX_QUEUED_EVENTS,
        retentionMs: MARKET_RETENTION_MS,
      },
      { keys: record.agreementId ? [keys.agreement(record.agreementId)] : [], args: proposalToHash(proposal) },
    );
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
    // The reason is stringified only now that the caller is known to own the proposal.
    const result = await this.core.scripts.call(
      rejectScript,
      {
        proposal: keys.proposal(record.id),
        demand: keys.subscription(record.demandId),
        offer: keys.subscription(record.offerId),
        notices: keys.negotiationNotices(issuerSubscription),
        queue: keys.negotiationEvents(issuerSubscription),
      },
      {
        role,
        subscriptionId,
        reason: reason ? JSON.stringify(reason) : '',
        now: now.getTime(),
        entry: rejectedEventEntry(record.id, now, reason),
        queueChannel: keys.wakeChannel(keys.negotiationEvents(issuerSubscription)),
        bound: MAX_QUEUED_EVENTS,
      },
    );
    if (result !== 'ok') throw refusal(result, record, role, 'reject');
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
    const role = roleOfKind(kind);
    // Built only when thrown: an error captures a stack trace, which the hot path should not pay for.
    const notFound = (): NotFound =>
      new NotFound(`Proposal [${renderProposalId(ref.hex, ref.side)}] not found (subscription [${subscriptionId}]).`);
    // Of the subscription, only whose it is and its kind matter.
    const { subscription, record } = await this.core.scripts.call(
      resolveScript,
      { subscription: this.core.keys.subscription(subscriptionId), proposal: this.core.keys.proposal(ref.hex) },
      { now: Date.now(), caller },
    );
    if (!subscription) {
      if (purpose === 'react') throw new Invalid(`Subscription [${subscriptionId}] wasn't found.`);
      throw notFound();
    }
    if (!subscription.mine || subscription.kind !== kind || ref.side !== role) throw notFound();
    const own = role === 'requestor' ? record?.demandId : record?.offerId;
    if (!record || own !== subscriptionId || !visibleTo(record, role)) throw notFound();
    return { record, role };
  }

  /** A counter-proposal must match what it answers with a definite Yes both ways. */
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

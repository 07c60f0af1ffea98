import { randomBytes } from 'node:crypto';
import type { Core } from '../kernel/core';
import { DomainError, Invalid, Conflict, Gone, NotFound, TimedOut } from '../kernel/errors';
import { AgreementEventLog, type AgreementOperationEvent, type Reason } from './agreementEvents';
import { parseRfc3339Micros } from './agreementTime';
import { onAgreementTerminated } from '../payment/hook';
import type { Agreement, AgreementListEntry, AgreementProposal } from '../types/schemas';
export type { Agreement, AgreementListEntry, AgreementProposal };

export const AGREEMENT_STATES = [
  'Proposal',
  'Pending',
  'Approved',
  'Cancelled',
  'Rejected',
  'Expired',
  'Terminated',
] as const;
export type AgreementState = (typeof AGREEMENT_STATES)[number];
type PartyRole = 'requestor' | 'provider';

/** The agreement hash (keys.agreement(hex)); the compute dispatcher reads these field names. */
export interface AgreementRecord {
  id: string;
  proposalId: string;
  demandId: string;
  offerId: string;
  requestorId: string;
  providerId: string;
  demandProperties: string;
  demandConstraints: string;
  offerProperties: string;
  offerConstraints: string;
  validTo: string;
  validToMs: string;
  state: AgreementState;
  timestamp: string;
  createdMs: string;
  approvedDate: string;
  /** Set by confirm; before it the provider does not know the agreement. */
  confirmedDate: string;
  requestorSession: string;
  providerSession: string;
  terminator: string;
  reason: string;
  terminatedDate: string;
}

export interface AgreementFilter {
  state?: AgreementState;
  /** Exclusive bounds on the creation time, µs. */
  afterMicros?: number;
  beforeMicros?: number;
  appSessionId?: string;
}

/** What agreements need from the negotiation side (the market service). */
export interface NegotiationHooks {
  /** Lets collectDemands show an AgreementEvent's agreement as it is at collection time. */
  setAgreementRenderer(render: (agreementId: string, viewer: string) => Promise<object | undefined>): void;
  /**
   * After termination: a fresh Initial proposal for the pair, if both subscriptions are still active (§4.2);
   * `generation` (the terminated agreement's id) makes it idempotent and distinct from the first Initial.
   */
  createInitialProposal(demandId: string, offerId: string, generation?: string): Promise<unknown>;
}

type Action = 'read' | 'confirm' | 'approve' | 'reject' | 'cancel' | 'terminate';
type TransitionResult = ['ok', AgreementState] | ['notfound'] | ['illegal', AgreementState];

/** The state each action moves to, as yagna names it in its refusals. */
const TARGET: Record<Exclude<Action, 'read'>, string> = {
  confirm: 'Pending',
  approve: 'Approving',
  reject: 'Rejected',
  cancel: 'Cancelled',
  terminate: 'Terminated',
};
/** Who may call each action (§4.8); anyone else gets 404. */
const CALLER: Record<Action, PartyRole | 'party'> = {
  read: 'party',
  confirm: 'requestor',
  approve: 'provider',
  reject: 'provider',
  cancel: 'requestor',
  terminate: 'party',
};
const PARTY_CACHE_SIZE = 10_000;
const HANDSHAKE_STATES: ReadonlySet<string> = new Set(['Proposal', 'Pending']);
const AGREEMENT_ID = /^[0-9a-fA-F]{64}$/;
const REQUESTOR_PROPOSAL_ID = /^R-([0-9a-fA-F]{64})$/;
const ANY_PROPOSAL_ID = /^[RP]-[0-9a-fA-F]{64}$/;

/** Validates an agreement id from a path (64 hex, the same for both parties). */
export function parseAgreementId(raw: string): string {
  if (!AGREEMENT_ID.test(raw)) throw new Invalid(`Invalid Agreement id. Id [${raw}] has invalid format.`);
  return raw.toLowerCase();
}

/** How a party sees the agreement id in messages: yagna prints its per-node form `R-`/`P-`. */
function label(hex: string, role: PartyRole | 'party'): string {
  return role === 'party' ? hex : `${role === 'requestor' ? 'R' : 'P'}-${hex}`;
}

/**
 * The agreement state machine (golem-market-api.md §2.4, §4.5-4.7): one record per agreement shown per
 * viewer; every transition is one call of agreement_transition.lua, so instances racing on an agreement
 * always produce exactly one outcome and one event per party.
 */
export class AgreementService {
  readonly events: AgreementEventLog;
  private readonly parties = new Map<string, PartyIds>();

  constructor(
    private readonly core: Core,
    private readonly market?: NegotiationHooks,
  ) {
    this.events = new AgreementEventLog(core);
    market?.setAgreementRenderer((agreementId, viewer) => this.render(agreementId, viewer));
  }

  /** createAgreement: promotes the provider's Draft proposal `R-<hex>` of the caller's negotiation. */
  async create(caller: string, body: AgreementProposal): Promise<string> {
    const { proposalId } = body;
    if (!ANY_PROPOSAL_ID.test(proposalId))
      throw new Invalid(`Invalid Agreement id. Id [${proposalId}] has invalid format.`);
    const validToMicros = parseRfc3339Micros(body.validTo);
    if (validToMicros === undefined)
      throw new Invalid(`Invalid request body: body.validTo must be an RFC 3339 date-time, got "${body.validTo}"`);
    const notFound = new Invalid(
      `Can't create Agreement for Proposal [${proposalId}]. Proposal [${proposalId}] not found.`,
    );
    const hex = REQUESTOR_PROPOSAL_ID.exec(proposalId)?.[1].toLowerCase();
    if (hex === undefined) throw notFound;

    const { keys } = this.core;
    // prevId (the requestor's proposal this Draft answers) never changes, so reading it outside the script is safe.
    const prevId = await this.core.redis.hget(keys.proposal(hex), 'prevId');
    if (prevId === null) throw notFound;
    const id = randomBytes(32).toString('hex');
    const validToMs = Math.floor(validToMicros / 1000);
    const now = Date.now();
    const [outcome, detail] = await this.core.scripts.run<[string, string?]>(
      'agreement_create',
      [
        keys.proposal(hex),
        keys.proposal(prevId || hex),
        keys.agreement(id),
        keys.expiringAgreements(),
        keys.partyAgreements(caller),
      ],
      [caller, id, new Date(validToMs).toISOString(), validToMs, new Date(now).toISOString(), now, this.retentionMs],
    );
    switch (outcome) {
      case 'ok':
        return id;
      case 'notfound':
        throw notFound;
      case 'own':
        throw new Invalid(
          `Can't create Agreement for an own Proposal [${proposalId}]. You can promote only provider's Proposals to Agreement.`,
        );
      case 'second':
        throw new Conflict(`Can't create second Agreement for Proposal [${proposalId}].`);
      case 'initial':
        throw new Invalid(
          `Can't create Agreement for Proposal [${proposalId}]. No negotiation with Provider took place. (You should counter Proposal at least one time)`,
        );
      case 'rejected':
        throw new Invalid(`Can't create Agreement for rejected Proposal [${proposalId}].`);
      case 'countered':
        throw new Invalid(`Can't create Agreement for already countered Proposal [${proposalId}].`);
      default:
        throw new Invalid(`Can't create Agreement for Proposal [${proposalId}] in state ${detail ?? outcome}.`);
    }
  }

  /** getAgreement, as the caller (either party) sees it now. */
  async get(caller: string, hex: string): Promise<Agreement> {
    const agreement = await this.render(hex, caller);
    if (!agreement) throw new NotFound(`Agreement [${hex}] not found.`);
    return agreement;
  }

  /** The Agreement object of §3 as `viewer` sees it, or undefined when it does not exist for the viewer. */
  async render(hex: string, viewer: string): Promise<Agreement | undefined> {
    const record = await this.load(hex);
    const role = record && roleOf(record, viewer);
    if (!record || !role) return undefined;
    const state = await this.currentState(record, viewer);
    if (state === undefined) return undefined;
    const session = role === 'requestor' ? record.requestorSession : record.providerSession;
    return {
      agreementId: record.id,
      demand: {
        properties: JSON.parse(record.demandProperties) as Record<string, unknown>,
        constraints: record.demandConstraints,
        demandId: record.demandId,
        requestorId: record.requestorId,
        timestamp: record.timestamp,
      },
      offer: {
        properties: JSON.parse(record.offerProperties) as Record<string, unknown>,
        constraints: record.offerConstraints,
        offerId: record.offerId,
        providerId: record.providerId,
        timestamp: record.timestamp,
      },
      validTo: record.validTo,
      ...(record.approvedDate ? { approvedDate: record.approvedDate } : {}),
      state,
      timestamp: record.timestamp,
      ...(session ? { appSessionId: session } : {}),
      ...(record.confirmedDate ? { proposedSignature: 'NoSignature' } : {}),
      ...(record.approvedDate ? { approvedSignature: 'NoSignature', committedSignature: 'NoSignature' } : {}),
    };
  }

  /** listAgreements: every agreement the caller is a party of (the provider's from its confirmation), by creation. */
  async list(caller: string, filter: AgreementFilter): Promise<AgreementListEntry[]> {
    const index = this.core.keys.partyAgreements(caller);
    const ids = await this.core.redis.zrange(index, '0', '-1');
    const records = await Promise.all(ids.map((id) => this.load(id)));
    const entries: AgreementListEntry[] = [];
    const purged: string[] = [];
    for (const [i, record] of records.entries()) {
      if (!record) {
        purged.push(ids[i]);
        continue;
      }
      const role = roleOf(record, caller);
      if (!role) continue;
      const created = Number(record.createdMs) * 1000;
      if (filter.afterMicros !== undefined && !(created > filter.afterMicros)) continue;
      if (filter.beforeMicros !== undefined && !(created < filter.beforeMicros)) continue;
      const session = role === 'requestor' ? record.requestorSession : record.providerSession;
      if (filter.appSessionId !== undefined && session !== filter.appSessionId) continue;
      if (filter.state !== undefined && (await this.currentState(record, caller)) !== filter.state) continue;
      entries.push({
        id: record.id,
        timestamp: record.timestamp,
        approvedDate: record.approvedDate || null,
        role: role === 'requestor' ? 'Requestor' : 'Provider',
      });
    }
    // Index entries of agreements past their retention.
    if (purged.length > 0) await this.core.redis.zrem(index, ...purged);
    return entries;
  }

  /** confirmAgreement: Proposal → Pending; the provider's offer queue gets an AgreementEvent. */
  async confirm(caller: string, hex: string, appSessionId: string | undefined): Promise<void> {
    await this.transition('confirm', caller, hex, { session: appSessionId });
  }

  /** approveAgreement: Pending → Approved in one step, so it returns at once and every waiter wakes. */
  async approve(caller: string, hex: string, appSessionId: string | undefined): Promise<void> {
    await this.transition('approve', caller, hex, { session: appSessionId });
  }

  async reject(caller: string, hex: string, reason: Reason | null): Promise<void> {
    await this.transition('reject', caller, hex, { reason });
  }

  async cancel(caller: string, hex: string, reason: Reason | null): Promise<void> {
    await this.transition('cancel', caller, hex, { reason });
  }

  /** terminateAgreement (either party, from Approved); afterwards the pair may negotiate again. */
  async terminate(caller: string, hex: string, reason: Reason | null): Promise<void> {
    const record = await this.transition('terminate', caller, hex, { reason });
    await onAgreementTerminated(this.core, hex); // payment hook
    if (!this.market) return;
    try {
      await this.market.createInitialProposal(record.demandId, record.offerId, hex);
    } catch (err) {
      this.core.log.warn({ err, agreementId: hex }, 'could not offer a fresh Initial proposal after termination');
    }
  }

  /** The AgreementTerminatedEvent of a terminated agreement (served on GET and POST). */
  async terminationReason(caller: string, hex: string): Promise<AgreementOperationEvent> {
    const record = await this.load(hex);
    const role = record && roleOf(record, caller);
    if (!record || !role) throw new NotFound(`Agreement [${hex}] not found.`);
    if (record.state !== 'Terminated') throw new Invalid(`Agreement [${label(hex, role)}] not terminated yet.`);
    return {
      eventDate: record.terminatedDate,
      agreementId: record.id,
      eventType: 'AgreementTerminatedEvent',
      terminator: record.terminator as 'Requestor' | 'Provider',
      signature: '',
      ...(record.reason ? { reason: JSON.parse(record.reason) as Reason } : {}),
    };
  }

  /**
   * waitForApproval (requestor): 204 once Approved, 410 when it ended otherwise, 408 at the timeout.
   * Woken by any instance's transition on the agreement, and by the expiry sweeper.
   */
  async waitForApproval(caller: string, hex: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const name = label(hex, 'requestor');
    const ids = await this.partyIds(hex);
    if (!ids || ids.requestorId !== caller) throw new NotFound(`Agreement [${name}] not found.`);
    const read = async (): Promise<true | undefined> => {
      const [outcome, state] = await this.run('read', caller, hex, ids, {});
      if (outcome !== 'ok') throw new NotFound(`Agreement [${name}] not found.`);
      switch (state) {
        case 'Approved':
          return true;
        case 'Pending':
          return undefined;
        case 'Proposal':
          throw new Invalid(`Agreement [${name}] should be confirmed, before waiting for approval.`);
        case 'Cancelled':
        case 'Rejected':
          throw new Gone(state);
        case 'Expired':
          throw new Gone(`Agreement [${name}] expired.`);
        default:
          throw new Invalid(`Agreement [${name}] terminated.`);
      }
    };
    // Already settled (e.g. approved before the wait): answer without subscribing.
    if (await read()) return;
    const approved = await this.core.waiter.poll([this.core.keys.agreementState(hex)], timeoutMs, signal, read);
    if (!approved) throw new TimedOut(`Timeout while waiting for Agreement [${name}] approval.`);
  }

  /** Applies a due expiry to one agreement (the sweeper); false when the agreement no longer exists. */
  async expireIfDue(hex: string): Promise<boolean> {
    const ids = await this.partyIds(hex);
    if (!ids) return false;
    const [outcome] = await this.run('read', '', hex, ids, {});
    return outcome === 'ok';
  }

  private get retentionMs(): number {
    return this.core.config.agreementRetentionSeconds * 1000;
  }

  private async load(hex: string): Promise<AgreementRecord | undefined> {
    const record = (await this.core.redis.hgetall(this.core.keys.agreement(hex))) as unknown as AgreementRecord;
    return record.id ? record : undefined;
  }

  /** The state as of now: a handshake past its validTo is expired first (atomically, by the script). */
  private async currentState(record: AgreementRecord, viewer: string): Promise<AgreementState | undefined> {
    if (!HANDSHAKE_STATES.has(record.state)) return record.state;
    const [outcome, state] = await this.run('read', viewer, record.id, record, {});
    return outcome === 'ok' ? state : undefined;
  }

  /** Who an agreement is between never changes, so it is read once per instance (saves a round trip per call). */
  private async partyIds(hex: string): Promise<PartyIds | undefined> {
    const cached = this.parties.get(hex);
    if (cached) return cached;
    const [requestorId, providerId, offerId, demandId] = await this.core.redis.hmget(
      this.core.keys.agreement(hex),
      'requestorId',
      'providerId',
      'offerId',
      'demandId',
    );
    if (!requestorId || !providerId || !offerId || !demandId) return undefined;
    const ids = { requestorId, providerId, offerId, demandId };
    this.parties.set(hex, ids);
    // Bounded: forget the oldest entry (Maps iterate in insertion order).
    if (this.parties.size > PARTY_CACHE_SIZE) this.parties.delete(this.parties.keys().next().value as string);
    return ids;
  }

  private async transition(
    action: Exclude<Action, 'read'>,
    caller: string,
    hex: string,
    options: { session?: string; reason?: Reason | null },
  ): Promise<PartyIds> {
    const name = label(hex, CALLER[action]);
    const ids = await this.partyIds(hex);
    if (!ids) throw new NotFound(`Agreement [${name}] not found.`);
    const [outcome, state] = await this.run(action, caller, hex, ids, options);
    if (outcome === 'notfound') throw new NotFound(`Agreement [${name}] not found.`);
    if (outcome === 'illegal')
      throw refusal(action, state, label(hex, ids.requestorId === caller ? 'requestor' : 'provider'));
    return ids;
  }

  private run(
    action: Action,
    caller: string,
    hex: string,
    ids: PartyIds,
    options: { session?: string; reason?: Reason | null },
  ): Promise<TransitionResult> {
    const { keys } = this.core;
    const now = new Date().toISOString();
    const notice =
      action === 'confirm' ? JSON.stringify({ eventType: 'AgreementEvent', eventDate: now, agreementId: hex }) : '';
    return this.core.scripts.run<TransitionResult>(
      'agreement_transition',
      [
        keys.agreement(hex),
        keys.expiringAgreements(),
        keys.agreementEvents(ids.requestorId),
        keys.agreementEvents(ids.providerId),
        keys.agreementEventClock(ids.requestorId),
        keys.agreementEventClock(ids.providerId),
        keys.partyAgreements(ids.providerId),
        keys.negotiationNotices(ids.offerId),
        keys.approvedAgreements(),
        keys.agreementState(hex),
        keys.negotiationEvents(ids.offerId),
      ],
      [
        action,
        caller,
        keys.wakeChannelPrefix(),
        now,
        options.session ?? '',
        options.reason ? JSON.stringify(options.reason) : '',
        this.retentionMs,
        notice,
      ],
    );
  }
}

interface PartyIds {
  requestorId: string;
  providerId: string;
  offerId: string;
  demandId: string;
}

/** The caller's role in the agreement; the provider does not see it before confirmation. */
function roleOf(record: AgreementRecord, caller: string): PartyRole | undefined {
  if (caller === record.requestorId) return 'requestor';
  if (caller === record.providerId && record.confirmedDate) return 'provider';
  return undefined;
}

/** An illegal transition: 409 from Proposal, 410 from any other state (§4.5). */
function refusal(action: Exclude<Action, 'read'>, from: AgreementState, name: string): DomainError {
  if (action === 'approve' && from === 'Cancelled') return new Gone('Cancelled');
  const message = `Agreement [${name}]. Error: Can't update Agreement state from ${from} to ${TARGET[action]}.`;
  return from === 'Proposal' ? new Conflict(message) : new Gone(message);
}

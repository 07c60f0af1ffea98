import { setBounded } from '../../kernel/boundedMap';
import type { Core } from '../../kernel/core';
import { Invalid, NotFound, TimedOut } from '../../kernel/errors';
import { agreementLabel, newAgreementId, parseAgreementProposalId, type Role } from '../ids';
import { parseRfc3339Micros } from '../time';
import { AgreementEventLog, type AgreementOperationEvent, type Reason } from './eventLog';
import type { AgreementLookup, ApprovedAgreement } from './handoff';
import {
  AGREEMENT_ACTIONS,
  computeViewOf,
  HANDSHAKE_STATES,
  parseAgreementRecord,
  renderAgreement,
  roleOf,
  type Action,
  type AgreementRecord,
  type AgreementState,
} from './record';
import { type FreeInvocation, recordFreeInvocationAgreement } from './freeInvocation';
import { createNotFound, createRefusal, transitionRefusal, waitRefusal } from './refusals';
import { billedAgreementOf, Terminations, type BilledAgreement } from './terminations';
import { runCreate, runTransition, type PartyIds, type TransitionResult } from './scripts';
import type { Agreement, AgreementListEntry, AgreementProposal } from '../../types/schemas';
export type { Agreement, AgreementListEntry, AgreementProposal };

export interface AgreementFilter {
  state?: AgreementState;
  /** Exclusive bounds on the creation time, µs. */
  afterMicros?: number;
  beforeMicros?: number;
  appSessionId?: string;
}

/** What agreements need from negotiation: after termination, a fresh Initial proposal for the pair. */
export interface Renegotiation {
  createInitial(demandId: string, offerId: string, generation: string): Promise<unknown>;
}

const PARTY_CACHE_SIZE = 10_000;

/**
 * The agreement state machine: one record per agreement shown per viewer; every transition is one call of
 * transition.lua with its row of AGREEMENT_ACTIONS, so instances racing on an agreement always produce exactly one
 * outcome and one event per party. Also the market's side of the hand-off to compute (AgreementLookup).
 */
export class AgreementService implements AgreementLookup {
  readonly events: AgreementEventLog;
  private readonly parties = new Map<string, PartyIds>();
  /** Told of every termination after it happened (the payment ledger issues the final invoice); set by main. */
  readonly terminations: Terminations;

  constructor(
    private readonly core: Core,
    private readonly negotiation?: Renegotiation,
  ) {
    this.events = new AgreementEventLog(core);
    this.terminations = new Terminations(core.log);
  }

  /** createAgreement: promotes the provider's Draft proposal `R-<hex>` of the caller's negotiation. */
  async create(caller: string, body: AgreementProposal): Promise<string> {
    const { proposalId } = body;
    const hex = parseAgreementProposalId(proposalId);
    const validToMicros = parseRfc3339Micros(body.validTo);
    if (validToMicros === undefined)
      throw new Invalid(`Invalid request body: body.validTo must be an RFC 3339 date-time, got "${body.validTo}"`);
    if (hex === undefined) throw createNotFound(proposalId);

    const id = newAgreementId();
    const validToMs = Math.floor(validToMicros / 1000);
    const now = Date.now();
    const own = {
      id,
      validTo: new Date(validToMs).toISOString(),
      validToMs,
      state: 'Proposal' as const,
      timestamp: new Date(now).toISOString(),
      createdMs: now,
      approvedDate: '',
      confirmedDate: '',
      requestorSession: '',
      providerSession: '',
      terminator: '',
      reason: '',
      terminatedDate: '',
    } satisfies Partial<AgreementRecord>;
    const created = await runCreate(this.core, {
      caller,
      proposalHex: hex,
      record: own,
      retentionMs: this.retentionMs,
    });
    if (created.code !== 'ok') throw createRefusal(created.code, proposalId, created.detail);
    // The confirmation that follows (usually on this instance) needs no read of who the agreement is between.
    this.rememberParties(id, { requestorId: caller, ...created.parties });
    return id;
  }

  /** getAgreement, as the caller (either party) sees it now. */
  async get(caller: string, hex: string): Promise<Agreement> {
    const agreement = await this.render(hex, caller);
    if (!agreement) throw new NotFound(`Agreement [${hex}] not found.`);
    return agreement;
  }

  /** The Agreement object as `viewer` sees it, or undefined when it does not exist for the viewer. */
  async render(hex: string, viewer: string): Promise<Agreement | undefined> {
    const record = await this.load(hex);
    const role = record && roleOf(record, viewer);
    if (!record || !role) return undefined;
    const state = await this.currentState(record, viewer);
    return state === undefined ? undefined : renderAgreement(record, state, role);
  }

  /** AgreementLookup: what compute may know of an agreement, with its state as of now. */
  async computeView(agreementId: string): Promise<{ agreement: ApprovedAgreement; state: string } | undefined> {
    const record = await this.load(agreementId);
    if (!record) return undefined;
    const state = await this.currentState(record, '');
    return state === undefined ? undefined : { agreement: computeViewOf(record), state };
  }

  /** The payment ledger's view of an agreement that was approved (debit notes), undefined otherwise. */
  async billingView(agreementId: string): Promise<BilledAgreement | undefined> {
    const record = await this.load(agreementId);
    return record?.approvedDate ? billedAgreementOf(record) : undefined;
  }

  /** The Approved agreement a free service invocation runs under (no negotiation); returns its id. */
  recordFreeInvocation(invocation: FreeInvocation): Promise<string> {
    return recordFreeInvocationAgreement(this.core, invocation);
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
      const created = record.createdMs * 1000;
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

  /** approveAgreement: Pending → Approved in one step (with the hand-off), so it returns at once. */
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
    const { ids, record } = await this.transition('terminate', caller, hex, { reason });
    // The final invoice and the pair's fresh Initial proposal do not wait for each other.
    await Promise.all([record && this.terminations.announce(record), this.renegotiate(ids, hex)]);
  }

  /** A fresh Initial proposal for the pair of a terminated agreement (`hex` is its generation). */
  private async renegotiate(ids: PartyIds, hex: string): Promise<void> {
    if (!this.negotiation) return;
    try {
      await this.negotiation.createInitial(ids.demandId, ids.offerId, hex);
    } catch (err) {
      this.core.log.warn({ err, agreementId: hex }, 'could not offer a fresh Initial proposal after termination');
    }
  }

  /** The AgreementTerminatedEvent of a terminated agreement (served on GET and POST). */
  async terminationReason(caller: string, hex: string): Promise<AgreementOperationEvent> {
    const record = await this.load(hex);
    const role = record && roleOf(record, caller);
    if (!record || !role) throw new NotFound(`Agreement [${hex}] not found.`);
    if (record.state !== 'Terminated')
      throw new Invalid(`Agreement [${agreementLabel(hex, role)}] not terminated yet.`);
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
    const name = agreementLabel(hex, 'requestor');
    const ids = await this.partyIds(hex);
    if (!ids || ids.requestorId !== caller) throw new NotFound(`Agreement [${name}] not found.`);
    const read = async (): Promise<true | undefined> => {
      const result = await this.run('read', caller, hex, ids, {});
      if (result.code === 'notfound') throw new NotFound(`Agreement [${name}] not found.`);
      const refused = waitRefusal(result.state, name);
      if (refused) throw refused;
      return result.state === 'Approved' ? true : undefined;
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
    return (await this.run('read', '', hex, ids, {})).code === 'ok';
  }

  private get retentionMs(): number {
    return this.core.config.agreementRetentionSeconds * 1000;
  }

  private async load(hex: string): Promise<AgreementRecord | undefined> {
    return parseAgreementRecord(await this.core.redis.hgetall(this.core.keys.agreement(hex)));
  }

  /** The state as of now: a handshake past its validTo is expired first (atomically, by the script). */
  private async currentState(record: AgreementRecord, viewer: string): Promise<AgreementState | undefined> {
    if (!HANDSHAKE_STATES.has(record.state)) return record.state;
    const result = await this.run('read', viewer, record.id, record, {});
    return result.code === 'ok' ? result.state : undefined;
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
    this.rememberParties(hex, ids);
    return ids;
  }

  private rememberParties(hex: string, ids: PartyIds): void {
    setBounded(this.parties, hex, ids, PARTY_CACHE_SIZE);
  }

  private async transition(
    action: Exclude<Action, 'read'>,
    caller: string,
    hex: string,
    options: { session?: string; reason?: Reason | null },
  ): Promise<{ ids: PartyIds; record?: AgreementRecord }> {
    const callerRole = AGREEMENT_ACTIONS[action].caller;
    // Built only when thrown: an error captures a stack trace, which the hot path should not pay for.
    const notFound = (): NotFound => new NotFound(`Agreement [${agreementLabel(hex, callerRole)}] not found.`);
    const ids = await this.partyIds(hex);
    // A stranger is refused before anything of the request (e.g. its reason) is serialised.
    if (!ids || (caller !== ids.requestorId && caller !== ids.providerId)) throw notFound();
    const result = await this.run(action, caller, hex, ids, options);
    if (result.code === 'notfound') throw notFound();
    if (result.code === 'illegal') {
      const role: Role = ids.requestorId === caller ? 'requestor' : 'provider';
      throw transitionRefusal(action, result.state, agreementLabel(hex, role));
    }
    return { ids, record: result.record };
  }

  private run(
    action: Action,
    caller: string,
    hex: string,
    ids: PartyIds,
    options: { session?: string; reason?: Reason | null },
  ): Promise<TransitionResult> {
    return runTransition(this.core, { action, caller, hex, ids, retentionMs: this.retentionMs, ...options });
  }
}

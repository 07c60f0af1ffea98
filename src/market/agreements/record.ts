import type { Role } from '../ids';
import type { Agreement, AgreementOperationEvent } from '../../types/schemas';
import type { ApprovedAgreement } from './handoff';

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
export type AgreementEventType = AgreementOperationEvent['eventType'];

/**
 * The agreement hash (`keys.agreement(hex)`). This module is its one reader; create.lua writes
 * `agreementToHash` of the fields below except AGREEMENT_FROM_PROPOSALS, which it copies from the promoted proposal
 * and the one it answers in the same step; transition.lua changes only `state`, the dates, sessions, terminator
 * and reason.
 */
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
  validToMs: number;
  state: AgreementState;
  timestamp: string;
  createdMs: number;
  approvedDate: string;
  /** Set by confirm; before it the provider does not know the agreement. */
  confirmedDate: string;
  requestorSession: string;
  providerSession: string;
  terminator: string;
  reason: string;
  terminatedDate: string;
}

/** Field names of the hash, in the order they are written. */
export const AGREEMENT_FIELDS = [
  'id',
  'proposalId',
  'demandId',
  'offerId',
  'requestorId',
  'providerId',
  'demandProperties',
  'demandConstraints',
  'offerProperties',
  'offerConstraints',
  'validTo',
  'validToMs',
  'state',
  'timestamp',
  'createdMs',
  'approvedDate',
  'confirmedDate',
  'requestorSession',
  'providerSession',
  'terminator',
  'reason',
  'terminatedDate',
] as const satisfies ReadonlyArray<keyof AgreementRecord>;

/** What create.lua copies from the proposals: ids, parties, and the agreed demand and offer. */
export const AGREEMENT_FROM_PROPOSALS = [
  'proposalId',
  'demandId',
  'offerId',
  'requestorId',
  'providerId',
  'demandProperties',
  'demandConstraints',
  'offerProperties',
  'offerConstraints',
] as const satisfies ReadonlyArray<keyof AgreementRecord>;

export function parseAgreementRecord(hash: Record<string, string>): AgreementRecord | undefined {
  if (!hash.id) return undefined;
  const text = (name: (typeof AGREEMENT_FIELDS)[number]): string => hash[name] ?? '';
  return {
    id: hash.id,
    proposalId: text('proposalId'),
    demandId: text('demandId'),
    offerId: text('offerId'),
    requestorId: text('requestorId'),
    providerId: text('providerId'),
    demandProperties: hash.demandProperties ?? '{}',
    demandConstraints: text('demandConstraints'),
    offerProperties: hash.offerProperties ?? '{}',
    offerConstraints: text('offerConstraints'),
    validTo: text('validTo'),
    validToMs: Number(hash.validToMs),
    state: AGREEMENT_STATES.find((s) => s === hash.state) ?? 'Proposal',
    timestamp: text('timestamp'),
    createdMs: Number(hash.createdMs),
    approvedDate: text('approvedDate'),
    confirmedDate: text('confirmedDate'),
    requestorSession: text('requestorSession'),
    providerSession: text('providerSession'),
    terminator: text('terminator'),
    reason: text('reason'),
    terminatedDate: text('terminatedDate'),
  };
}

/** The flat field/value list HSET takes for the given fields of a record, in AGREEMENT_FIELDS order. */
export function agreementToHash(record: Partial<AgreementRecord>): string[] {
  return AGREEMENT_FIELDS.filter((f) => record[f] !== undefined).flatMap((f) => [f, String(record[f])]);
}

/** The caller's role in the agreement; the provider does not see it before confirmation. */
export function roleOf(record: AgreementRecord, caller: string): Role | undefined {
  if (caller === record.requestorId) return 'requestor';
  if (caller === record.providerId && record.confirmedDate) return 'provider';
  return undefined;
}

/** The Agreement object as `role` sees it in `state` (the state as of now, see the service). */
export function renderAgreement(record: AgreementRecord, state: AgreementState, role: Role): Agreement {
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

/** What compute may know of an agreement (the hand-off shape), built from the record. */
export function computeViewOf(record: AgreementRecord): ApprovedAgreement {
  return {
    agreementId: record.id,
    requestorId: record.requestorId.toLowerCase(),
    providerId: record.providerId.toLowerCase(),
    demandProperties: JSON.parse(record.demandProperties) as Record<string, unknown>,
    offerProperties: JSON.parse(record.offerProperties) as Record<string, unknown>,
    validToMs: record.validToMs,
    approvedAtMs: record.approvedDate ? Date.parse(record.approvedDate) : 0,
  };
}

// ---- the state machine -------------------------------------------------------------------------------------------

export type Action = 'read' | 'confirm' | 'approve' | 'reject' | 'cancel' | 'terminate';

export interface ActionSpec {
  /** Who may call it; anyone else gets 404 ('party': either). */
  caller: Role | 'party';
  /** States it may start from. */
  from: readonly AgreementState[];
  /** State it moves to (absent for 'read', which only applies a due expiry). */
  to?: AgreementState;
  /** How yagna names the target in its refusal ("Can't update Agreement state from X to Y"), when not `to`. */
  refusalName?: string;
  /** The event each party's log gets. */
  event?: AgreementEventType;
}

/**
 * THE agreement state table. transition.lua receives the called action's row as JSON and applies it atomically;
 * the refusals quote it; nothing else restates it.
 */
export const AGREEMENT_ACTIONS: Record<Action, ActionSpec> = {
  read: { caller: 'party', from: [] },
  confirm: { caller: 'requestor', from: ['Proposal'], to: 'Pending' },
  approve: {
    caller: 'provider',
    from: ['Pending'],
    to: 'Approved',
    refusalName: 'Approving',
    event: 'AgreementApprovedEvent',
  },
  reject: { caller: 'provider', from: ['Pending'], to: 'Rejected', event: 'AgreementRejectedEvent' },
  cancel: { caller: 'requestor', from: ['Proposal', 'Pending'], to: 'Cancelled', event: 'AgreementCancelledEvent' },
  terminate: { caller: 'party', from: ['Approved'], to: 'Terminated', event: 'AgreementTerminatedEvent' },
};

/** States in which validTo is the handshake deadline (past it, the agreement is Expired). */
export const HANDSHAKE_STATES: ReadonlySet<AgreementState> = new Set(['Proposal', 'Pending']);

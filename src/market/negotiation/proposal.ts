import { randomHex } from '../../kernel/randomHex';
import { renderProposalId, type Role } from '../ids';
import type { Proposal as ProposalView, Reason } from '../../types/schemas';
export type { ProposalView, Reason };

export type ProposalState = 'Initial' | 'Draft' | 'Rejected' | 'Accepted' | 'Expired';

/**
 * One proposal as stored at `keys.proposal(hex)`, shared by both parties. This module is its one reader and writer:
 * counter.lua stores `proposalToHash(record)` as given; initial.lua stores `proposalToHash` of the fields below
 * except INITIAL_FROM_SUBSCRIPTIONS, which it copies from the demand and offer records in the same step.
 * Later changes touch only `state`, `counterId`, `agreementId`, `providerKnows` and `reason`.
 */
export interface ProposalRecord {
  id: string;
  demandId: string;
  offerId: string;
  requestorId: string;
  providerId: string;
  issuer: Role;
  /** JSON text of the flat, key-sorted property map. */
  properties: string;
  constraints: string;
  state: ProposalState;
  timestamp: string;
  prevId: string;
  counterId: string;
  agreementId: string;
  /** Whether the provider may see it (not an Initial proposal it was never countered on). */
  providerKnows: boolean;
  /** JSON of the last rejection Reason, or ''. */
  reason: string;
}

/** Field names of the hash, in the order they are written. */
export const PROPOSAL_FIELDS = [
  'id',
  'demandId',
  'offerId',
  'requestorId',
  'providerId',
  'issuer',
  'properties',
  'constraints',
  'state',
  'timestamp',
  'prevId',
  'counterId',
  'agreementId',
  'providerKnows',
  'reason',
] as const satisfies ReadonlyArray<keyof ProposalRecord>;

/** What initial.lua copies from the subscriptions: ids and owners of both, the offer's properties and constraints. */
export const INITIAL_FROM_SUBSCRIPTIONS = [
  'demandId',
  'offerId',
  'requestorId',
  'providerId',
  'properties',
  'constraints',
] as const satisfies ReadonlyArray<keyof ProposalRecord>;

const STATES: readonly ProposalState[] = ['Initial', 'Draft', 'Rejected', 'Accepted', 'Expired'];

export function parseProposalRecord(hash: Record<string, string>): ProposalRecord | undefined {
  if (!hash.id) return undefined;
  return {
    id: hash.id,
    demandId: hash.demandId ?? '',
    offerId: hash.offerId ?? '',
    requestorId: hash.requestorId ?? '',
    providerId: hash.providerId ?? '',
    issuer: hash.issuer === 'requestor' ? 'requestor' : 'provider',
    properties: hash.properties ?? '{}',
    constraints: hash.constraints ?? '()',
    state: STATES.find((s) => s === hash.state) ?? 'Initial',
    timestamp: hash.timestamp ?? '',
    prevId: hash.prevId ?? '',
    counterId: hash.counterId ?? '',
    agreementId: hash.agreementId ?? '',
    providerKnows: hash.providerKnows === '1',
    reason: hash.reason ?? '',
  };
}

/** The flat field/value list HSET takes for the given fields of a record, in PROPOSAL_FIELDS order. */
export function proposalToHash(record: Partial<ProposalRecord>): string[] {
  return PROPOSAL_FIELDS.filter((f) => record[f] !== undefined).flatMap((f) => {
    const value = record[f];
    return [f, typeof value === 'boolean' ? (value ? '1' : '0') : String(value)];
  });
}

/** Whether `viewer` may see the proposal at all. */
export function visibleTo(record: ProposalRecord, viewer: Role): boolean {
  return viewer === 'requestor' || record.providerKnows;
}

export function renderProposal(record: ProposalRecord, viewer: Role): ProposalView {
  const view: ProposalView = {
    properties: JSON.parse(record.properties) as Record<string, unknown>,
    constraints: record.constraints,
    proposalId: renderProposalId(record.id, viewer),
    issuerId: record.issuer === 'requestor' ? record.requestorId : record.providerId,
    state: record.state,
    timestamp: record.timestamp,
  };
  if (record.prevId) view.prevProposalId = renderProposalId(record.prevId, viewer);
  return view;
}

/**
 * A negotiation event as queued for a subscription. Entries name the artifact; it is rendered when collected, so
 * the client sees its current state. `eventId` is unique per event and stays the same when an event is delivered
 * again, so a client can recognise a duplicate.
 */
export interface NegotiationEntry {
  eventId: string;
  eventType: 'ProposalEvent' | 'ProposalRejectedEvent' | 'AgreementEvent';
  eventDate: string;
  proposalId?: string;
  agreementId?: string;
  reason?: Reason;
}

const newEventId = (): string => randomHex(8);

export function proposalEventEntry(hex: string, date: Date): string {
  return JSON.stringify({
    eventId: newEventId(),
    eventType: 'ProposalEvent',
    eventDate: date.toISOString(),
    proposalId: hex,
  } satisfies NegotiationEntry);
}

export function rejectedEventEntry(hex: string, date: Date, reason: Reason | null): string {
  const entry: NegotiationEntry = {
    eventId: newEventId(),
    eventType: 'ProposalRejectedEvent',
    eventDate: date.toISOString(),
    proposalId: hex,
  };
  if (reason) entry.reason = reason;
  return JSON.stringify(entry);
}

export function agreementEventEntry(agreementId: string, date: Date): string {
  return JSON.stringify({
    eventId: newEventId(),
    eventType: 'AgreementEvent',
    eventDate: date.toISOString(),
    agreementId,
  } satisfies NegotiationEntry);
}

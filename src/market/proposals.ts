import type { Core } from '../kernel/core';
import { initialProposalHex, renderProposalId, type Role } from './ids';
import { MARKET_RETENTION_MS, MAX_QUEUED_EVENTS } from './limits';
import { proposalEventEntry } from './negotiationEvents';
import type { Proposal as ProposalView } from '../types/schemas';
export type { ProposalView };

export type ProposalState = 'Initial' | 'Draft' | 'Rejected' | 'Accepted' | 'Expired';

/**
 * One proposal as stored at `keys.proposal(hex)`, shared by both parties (a contract the agreements module reads
 * and writes `agreementId`/`state` of). `providerKnows` = '1' once the provider may see it.
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
  providerKnows: string;
  /** JSON of the last rejection Reason, or ''. */
  reason: string;
}

export function parseProposalRecord(hash: Record<string, string>): ProposalRecord | undefined {
  return hash.id ? (hash as unknown as ProposalRecord) : undefined;
}

/**
 * Whether `viewer` may see the proposal at all (the provider never learns of an Initial proposal it was not countered
 * on).
 */
export function visibleTo(record: ProposalRecord, viewer: Role): boolean {
  return viewer === 'requestor' || record.providerKnows === '1';
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

export class Proposals {
  constructor(private readonly core: Core) {}

  async get(hex: string): Promise<ProposalRecord | undefined> {
    return parseProposalRecord(await this.core.redis.hgetall(this.core.keys.proposal(hex)));
  }

  /** The proposal as `viewer` sees it, or undefined when it does not exist or is not visible to that side. */
  async render(hex: string, viewer: Role): Promise<ProposalView | undefined> {
    const record = await this.get(hex);
    return record && visibleTo(record, viewer) ? renderProposal(record, viewer) : undefined;
  }

  /**
   * Creates the Initial proposal of a demand/offer pair (the offer's properties, issued by the provider, requestor-
   * only)
   * and queues one ProposalEvent on the demand. Idempotent per `generation`: the id is derived from
   * (demandId, offerId, generation), so any number of instances or retries create it once.
   * Returns the proposal's hex, or undefined when either subscription is no longer active.
   */
  async createInitial(demandId: string, offerId: string, generation = '0'): Promise<string | undefined> {
    const { keys } = this.core;
    const hex = initialProposalHex(demandId, offerId, generation);
    const now = new Date();
    const created = await this.core.scripts.run<number>(
      'proposal_initial',
      [keys.proposal(hex), keys.subscription(demandId), keys.subscription(offerId), keys.negotiationEvents(demandId)],
      [
        hex,
        now.getTime(),
        now.toISOString(),
        proposalEventEntry(hex, now),
        keys.wakeChannel(keys.negotiationEvents(demandId)),
        MAX_QUEUED_EVENTS,
        MARKET_RETENTION_MS,
      ],
    );
    return created === -1 ? undefined : hex;
  }
}

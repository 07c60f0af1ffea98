/**
 * The one set of Market API event shapes the tests read (as the wire carries them; every field a test may look at).
 * `eventId` identifies an event across repeated deliveries.
 */

export interface ProposalBody {
  proposalId: string;
  issuerId: string;
  state: string;
  properties: Record<string, unknown>;
  constraints: string;
  prevProposalId?: string;
  timestamp?: string;
}

/** A negotiation event: ProposalEvent, ProposalRejectedEvent or AgreementEvent (collectOffers / collectDemands). */
export interface NegotiationEvent {
  eventType: string;
  eventDate: string;
  eventId?: string;
  proposal?: ProposalBody;
  proposalId?: string;
  reason?: Record<string, unknown>;
  agreement?: { agreementId: string; state: string; [k: string]: unknown };
}

/** An agreement operation event (collectAgreementEvents). */
export interface AgreementEvent {
  eventDate: string;
  agreementId: string;
  eventType: string;
  terminator?: string;
  reason?: Record<string, unknown>;
  [k: string]: unknown;
}

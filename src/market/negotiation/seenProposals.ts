import { setBounded } from '../../kernel/boundedMap';
import type { Role } from '../ids';
import type { ProposalRecord } from './proposal';

/** Proposals remembered per instance: a client counters a handful of what it collected, soon after. */
const CAPACITY = 2_000;

/**
 * The proposals this instance last delivered, each with whom to: a counter-proposal answering one of them skips the
 * read before its script. Only what never changes is relied on (ids, issuer, properties, constraints); the script
 * checks the rest, and anything short of success is retried the long way, after a fresh read.
 */
export class SeenProposals {
  private readonly entries = new Map<string, { record: ProposalRecord; viewer: string }>();

  remember(record: ProposalRecord, viewer: string): void {
    this.entries.delete(record.id); // set anew: it is the newest now
    setBounded(this.entries, record.id, { record, viewer }, CAPACITY);
  }

  /** The proposal `hex` as delivered to `viewer` through its subscription `subscriptionId` as `role`, if it was. */
  get(hex: string, viewer: string, subscriptionId: string, role: Role): ProposalRecord | undefined {
    const seen = this.entries.get(hex);
    if (!seen || seen.viewer !== viewer) return undefined;
    const own = role === 'requestor' ? seen.record.demandId : seen.record.offerId;
    return own === subscriptionId ? seen.record : undefined;
  }
}

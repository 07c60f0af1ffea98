import type { Logger } from 'pino';
import type { AgreementRecord } from './record';

/** What the payment ledger learns of an approved agreement: its parties, terms and each party's session. */
export interface BilledAgreement {
  agreementId: string;
  requestorId: string;
  providerId: string;
  demandProperties: Record<string, unknown>;
  offerProperties: Record<string, unknown>;
  approvedAtMs: number;
  requestorSession: string;
  providerSession: string;
}

/** What other domains learn of a terminated agreement. */
export interface TerminatedAgreement extends BilledAgreement {
  terminatedAtMs: number;
}

/** The billing view of an approved agreement's record. */
export function billedAgreementOf(record: AgreementRecord): BilledAgreement {
  return {
    agreementId: record.id,
    requestorId: record.requestorId,
    providerId: record.providerId,
    demandProperties: JSON.parse(record.demandProperties) as Record<string, unknown>,
    offerProperties: JSON.parse(record.offerProperties) as Record<string, unknown>,
    approvedAtMs: Date.parse(record.approvedDate),
    requestorSession: record.requestorSession,
    providerSession: record.providerSession,
  };
}

export type TerminationListener = (agreement: TerminatedAgreement) => Promise<void>;

/**
 * Listeners told of every termination after it happened (the payment ledger issues the final invoice). They never
 * undo a termination: a failing listener is logged.
 */
export class Terminations {
  private readonly listeners: TerminationListener[] = [];

  constructor(private readonly log: Logger) {}

  listen(listener: TerminationListener): void {
    this.listeners.push(listener);
  }

  async announce(record: AgreementRecord): Promise<void> {
    if (this.listeners.length === 0 || !record.approvedDate || !record.terminatedDate) return;
    const agreement: TerminatedAgreement = {
      ...billedAgreementOf(record),
      terminatedAtMs: Date.parse(record.terminatedDate),
    };
    for (const listener of this.listeners) {
      await listener(agreement).catch((err: unknown) =>
        this.log.error({ err, agreementId: record.id }, 'a termination listener failed'),
      );
    }
  }
}

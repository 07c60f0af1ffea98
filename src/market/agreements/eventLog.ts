import type { Core } from '../../kernel/core';
import { collectLogged, type EventLogQuery } from '../../events/eventLog';
import { isoMicros } from '../time';
import type { AgreementOperationEvent, Reason } from '../../types/schemas';
export type { AgreementOperationEvent, Reason };

export type AgreementEventQuery = EventLogQuery;

/**
 * The append-only agreement event log of each identity: written only by transition.lua, read here. Reading never
 * consumes; clients page with the last `eventDate`.
 */
export class AgreementEventLog {
  constructor(private readonly core: Core) {}

  /** collectAgreementEvents: the next events after the cursor, waiting up to `timeoutMs` for the first one. */
  async collect(viewer: string, query: AgreementEventQuery): Promise<AgreementOperationEvent[]> {
    const key = this.core.keys.agreementEvents(viewer);
    const entries = await collectLogged<Omit<AgreementOperationEvent, 'eventDate'>>(this.core, key, query);
    return entries.map((stored) => ({ eventDate: isoMicros(stored.t), ...stored.e }));
  }
}

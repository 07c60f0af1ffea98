import type { Core } from '../kernel/core';
import { collectLogged, type EventLogQuery } from '../events/eventLog';
import { isoMicros } from '../market/time';
import type { DocumentKind } from './records';

/** A payment event as served: yagna's InvoiceEvent / DebitNoteEvent (eventType, eventDate, the document id, …). */
export type PaymentEvent = { eventType: string; eventDate: string } & Record<string, unknown>;

export type PaymentEventQuery = EventLogQuery;

/**
 * Invoice and debit-note event logs of each identity (append-only, written only by the payment scripts). Reading
 * never consumes; clients page with the last eventDate. A read with nothing new blocks until an event is written
 * (on any instance) or the timeout passes.
 */
export class PaymentEventLog {
  constructor(private readonly core: Core) {}

  async collect(kind: DocumentKind, viewer: string, query: PaymentEventQuery): Promise<PaymentEvent[]> {
    const key = this.core.keys.paymentEvents(kind, viewer);
    const entries = await collectLogged<Omit<PaymentEvent, 'eventDate'>>(this.core, key, query);
    return entries.map((stored) => ({ ...stored.e, eventDate: isoMicros(stored.t) }) as PaymentEvent);
  }
}

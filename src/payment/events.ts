import type { Core } from '../kernel/core';
import { isoMicros } from '../market/time';
import type { DocumentKind } from './records';

/** A payment event as served: yagna's InvoiceEvent / DebitNoteEvent (eventType, eventDate, the document id, …). */
export type PaymentEvent = { eventType: string; eventDate: string } & Record<string, unknown>;

/** One entry of an identity's log as the payment scripts write it: µs timestamp, the viewer's session, the event. */
interface StoredEvent {
  t: number;
  s: string;
  e: Omit<PaymentEvent, 'eventDate'>;
}

export interface PaymentEventQuery {
  /** Exclusive cursor, µs since the epoch. */
  afterMicros: number;
  maxEvents: number;
  /** Only events of agreements where the viewer's own session is this one. */
  appSessionId?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Page size when a session filter may skip entries. */
const FILTER_BATCH = 200;

/**
 * Invoice and debit-note event logs of each identity (append-only, written only by the payment scripts). Reading
 * never consumes; clients page with the last eventDate. A read with nothing new blocks until an event is written
 * (on any instance) or the timeout passes.
 */
export class PaymentEventLog {
  constructor(private readonly core: Core) {}

  async collect(kind: DocumentKind, viewer: string, query: PaymentEventQuery): Promise<PaymentEvent[]> {
    const key = this.core.keys.paymentEvents(kind, viewer);
    const read = async (): Promise<PaymentEvent[] | undefined> => {
      const events = await this.page(key, query);
      return events.length > 0 ? events : undefined;
    };
    return (await this.core.waiter.poll([key], query.timeoutMs, query.signal, read)) ?? [];
  }

  private async page(key: string, query: PaymentEventQuery): Promise<PaymentEvent[]> {
    const found: PaymentEvent[] = [];
    const session = query.appSessionId;
    let cursor = query.afterMicros;
    const batch = session === undefined ? query.maxEvents : FILTER_BATCH;
    for (;;) {
      const members = await this.core.redis.zrangebyscore(key, `(${cursor}`, '+inf', 'LIMIT', 0, batch);
      for (const member of members) {
        const stored = JSON.parse(member) as StoredEvent;
        cursor = stored.t;
        if (session !== undefined && stored.s !== session) continue;
        found.push({ ...stored.e, eventDate: isoMicros(stored.t) } as PaymentEvent);
        if (found.length === query.maxEvents) return found;
      }
      if (members.length < batch) return found;
    }
  }
}

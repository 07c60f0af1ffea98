import type { Core } from '../../kernel/core';
import { isoMicros } from '../time';
import type { AgreementOperationEvent, Reason } from '../../types/schemas';
export type { AgreementOperationEvent, Reason };

/**
 * One entry of an identity's log as transition.lua writes it: µs timestamp, the viewer's session, the event.
 */
interface StoredEvent {
  t: number;
  s: string;
  e: Omit<AgreementOperationEvent, 'eventDate'>;
}

export interface AgreementEventQuery {
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
 * The append-only agreement event log of each identity: written only by transition.lua, read here. Reading never
 * consumes; clients page with the last `eventDate`.
 */
export class AgreementEventLog {
  constructor(private readonly core: Core) {}

  /** collectAgreementEvents: the next events after the cursor, waiting up to `timeoutMs` for the first one. */
  async collect(viewer: string, query: AgreementEventQuery): Promise<AgreementOperationEvent[]> {
    const key = this.core.keys.agreementEvents(viewer);
    const read = async (): Promise<AgreementOperationEvent[] | undefined> => {
      const events = await this.page(key, query.afterMicros, query.maxEvents, query.appSessionId);
      return events.length > 0 ? events : undefined;
    };
    return (await this.core.waiter.poll([key], query.timeoutMs, query.signal, read)) ?? [];
  }

  private async page(
    key: string,
    afterMicros: number,
    maxEvents: number,
    session: string | undefined,
  ): Promise<AgreementOperationEvent[]> {
    const found: AgreementOperationEvent[] = [];
    let cursor = afterMicros;
    const batch = session === undefined ? maxEvents : FILTER_BATCH;
    for (;;) {
      const members = await this.core.redis.zrangebyscore(key, `(${cursor}`, '+inf', 'LIMIT', 0, batch);
      for (const member of members) {
        const stored = JSON.parse(member) as StoredEvent;
        cursor = stored.t;
        if (session !== undefined && stored.s !== session) continue;
        found.push({ eventDate: isoMicros(stored.t), ...stored.e });
        if (found.length === maxEvents) return found;
      }
      if (members.length < batch) return found;
    }
  }
}

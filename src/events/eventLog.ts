import type { Core } from '../kernel/core';

/**
 * One entry of a per-identity event log as the Lua writers store it in a sorted set: its µs timestamp (unique and
 * increasing per viewer, also the score), the viewer's session, the event without its date.
 */
export interface LoggedEvent<E> {
  t: number;
  s: string;
  e: E;
}

export interface EventLogQuery {
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
 * Reads an append-only event log (agreement events, invoice and debit-note events): the next entries after the cursor,
 * waiting up to `timeoutMs` for the first one (woken on the log's key, on any instance). Reading never consumes;
 * clients page with the last event's date.
 */
export async function collectLogged<E>(core: Core, key: string, query: EventLogQuery): Promise<LoggedEvent<E>[]> {
  const read = async (): Promise<LoggedEvent<E>[] | undefined> => {
    const entries = await page<E>(core, key, query);
    return entries.length > 0 ? entries : undefined;
  };
  return (await core.waiter.poll([key], query.timeoutMs, query.signal, read)) ?? [];
}

async function page<E>(core: Core, key: string, query: EventLogQuery): Promise<LoggedEvent<E>[]> {
  const found: LoggedEvent<E>[] = [];
  const session = query.appSessionId;
  let cursor = query.afterMicros;
  const batch = session === undefined ? query.maxEvents : FILTER_BATCH;
  for (;;) {
    const members = await core.redis.zrangebyscore(key, `(${cursor}`, '+inf', 'LIMIT', 0, batch);
    for (const member of members) {
      const stored = JSON.parse(member) as LoggedEvent<E>;
      cursor = stored.t;
      if (session !== undefined && stored.s !== session) continue;
      found.push(stored);
      if (found.length === query.maxEvents) return found;
    }
    if (members.length < batch) return found;
  }
}

import path from 'node:path';
import type { Core } from '../../kernel/core';
import { Invalid, Forbidden, NotFound } from '../../kernel/errors';
import { defineScript, outcome } from '../../store/scripts';
import { compileSubscription, ConstraintParseError, toTypedProperties, Tri, type Predicate } from '../constraints';
import { isLive, parseStreamEntry, renderSubscription, type OfferView } from './record';
import type { Subscriptions } from './service';
import type { NewScan } from '../../types/schemas';
export type { NewScan };

const advanceScript = defineScript({
  name: 'scan.advance',
  file: path.join(__dirname, 'lua', 'scan_advance.lua'),
  keys: ['scan'],
  args: ['cursor', 'idleMs'],
  parse: (reply) => outcome(reply).code,
});

/** yagna: an idle iterator lives 300 s; a batch holds at most 500 offers. */
export const DEFAULT_SCAN_TIMEOUT_S = 300;
export const MAX_SCAN_BATCH = 500;
/** Stream entries examined per round trip while looking for matching offers. */
const STREAM_PAGE = 500;

interface ScanRecord {
  owner: string;
  type: 'offer' | 'demand';
  constraints: string;
  cursor: string;
  timeoutMs: number;
}

/**
 * Offer scans: an iterator over active offers in subscription order, filtered by the scan's
 * constraints evaluated on the offer's properties only (definite TRUE). Its cursor is a position in the subscription
 * stream; the record expires when idle for its timeout.
 */
export class Scans {
  private readonly predicates = new Map<string, Predicate>();

  constructor(
    private readonly core: Core,
    private readonly subscriptions: Subscriptions,
  ) {}

  async begin(owner: string, scan: NewScan): Promise<string> {
    const constraints = scan.constraints ?? '()';
    try {
      compileSubscription({ id: '', properties: {}, constraints });
    } catch (err) {
      if (err instanceof ConstraintParseError) throw new Invalid(`Invalid constraint. ${err.message}`);
      throw err;
    }
    const { redis, keys } = this.core;
    const id = String((await redis.incr(keys.scanCounter())) - 1);
    const timeoutMs = (scan.timeout ?? DEFAULT_SCAN_TIMEOUT_S) * 1000;
    await redis
      .multi()
      .hset(keys.scan(id), { owner, type: scan.type, constraints, cursor: '0-0', timeoutMs: String(timeoutMs) })
      .pexpire(keys.scan(id), timeoutMs)
      .exec();
    return id;
  }

  async end(id: string, caller: string): Promise<void> {
    await this.load(id, caller);
    await this.core.redis.del(this.core.keys.scan(id));
  }

  /** The caller's iterator (404 unknown or expired, 403 another identity's), its idle lifetime renewed. */
  async load(id: string, caller: string): Promise<ScanRecord> {
    const record = await this.read(id, caller);
    await this.advance(id, record, '');
    return record;
  }

  /** The caller's iterator as stored (404 unknown or expired, 403 another identity's). */
  private async read(id: string, caller: string): Promise<ScanRecord> {
    const hash = await this.core.redis.hgetall(this.core.keys.scan(id));
    if (!hash.owner) throw new NotFound(`Iterator with id "${id}" not found`);
    if (hash.owner !== caller) throw new Forbidden('Access denied');
    return {
      owner: hash.owner,
      type: hash.type === 'demand' ? 'demand' : 'offer',
      constraints: hash.constraints,
      cursor: hash.cursor,
      timeoutMs: Number(hash.timeoutMs),
    };
  }

  /** JSON mode: the next batch after the cursor, waiting up to `timeoutMs` for one; [] on timeout. */
  async collect(
    id: string,
    caller: string,
    timeoutMs: number,
    maxEvents: number,
    signal?: AbortSignal,
  ): Promise<OfferView[]> {
    const { waiter, keys } = this.core;
    // Each look is one read of the record, one of the stream and one script (cursor and idle lifetime).
    return (
      (await waiter.poll([keys.subscriptionStream()], timeoutMs, signal, () => this.next(id, caller, maxEvents))) ?? []
    );
  }

  /**
   * SSE mode: yields every batch of new offers until the client goes away, the instance shuts down or the iterator
   * is ended (then it throws NotFound, which ends the stream).
   */
  async *follow(id: string, caller: string, signal: AbortSignal): AsyncGenerator<OfferView[]> {
    const { waiter, keys } = this.core;
    // A revoked token ends the stream as it ends a long-poll (the request's guard, see TokenService).
    const registration = await waiter.registerGuarded([keys.subscriptionStream()], signal);
    try {
      for (;;) {
        const offers = await this.next(id, caller, MAX_SCAN_BATCH);
        if (offers) {
          yield offers;
          continue;
        }
        const record = await this.load(id, caller);
        // Wake at least once per idle lifetime so an open stream keeps its iterator alive.
        const outcome = await registration.next(record.timeoutMs / 2);
        if (outcome !== 'notified' && outcome !== 'timeout') return;
      }
    } finally {
      registration.release();
    }
  }

  /** Up to `max` matching offers after the cursor, advancing it (and renewing the iterator); undefined when none. */
  private async next(id: string, caller: string, max: number): Promise<OfferView[] | undefined> {
    const record = await this.read(id, caller);
    if (record.type !== 'offer') {
      await this.advance(id, record, '');
      return undefined; // demand scans never yield anything (yagna)
    }
    const predicate = this.predicate(record.constraints);
    const found: OfferView[] = [];
    let cursor = record.cursor;
    for (;;) {
      const page = await this.core.redis.xrange(
        this.core.keys.subscriptionStream(),
        `(${cursor}`,
        '+',
        'COUNT',
        STREAM_PAGE,
      );
      if (page.length === 0) break;
      const offerEntries = page
        .map(([seq, fields]) => ({ seq, ...parseStreamEntry(fields) }))
        .filter((e) => e.op === 'sub' && e.kind === 'offer');
      const records = await this.subscriptions.getMany(offerEntries.map((e) => e.id));
      const now = Date.now();
      const bySeq = new Map(offerEntries.map((e, i) => [e.seq, records[i]]));
      for (const [seq] of page) {
        const offer = bySeq.get(seq);
        cursor = seq;
        if (offer && isLive(offer, now) && predicate(toTypedProperties(JSON.parse(offer.properties))) === Tri.TRUE) {
          found.push(renderSubscription(offer) as OfferView);
          if (found.length >= max) break;
        }
      }
      if (found.length >= max || page.length < STREAM_PAGE) break;
    }
    await this.advance(id, record, cursor === record.cursor ? '' : cursor);
    return found.length > 0 ? found : undefined;
  }

  private async advance(id: string, record: ScanRecord, cursor: string): Promise<void> {
    await this.core.scripts.call(
      advanceScript,
      { scan: this.core.keys.scan(id) },
      { cursor, idleMs: record.timeoutMs },
    );
  }

  /** Scan constraints compile once per process (they are few and immutable). */
  private predicate(constraints: string): Predicate {
    let predicate = this.predicates.get(constraints);
    if (!predicate) {
      if (this.predicates.size > 1000) this.predicates.clear();
      predicate = compileSubscription({ id: '', properties: {}, constraints }).predicate;
      this.predicates.set(constraints, predicate);
    }
    return predicate;
  }
}

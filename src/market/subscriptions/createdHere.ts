import { setBounded } from '../../kernel/boundedMap';
import type { SubscriptionRecord } from './record';

/** Records kept at most: the matcher reads each entry within milliseconds, so this only bounds a stalled matcher. */
export const MAX_KEPT = 2_000;

/**
 * The records of the subscriptions this instance created whose stream entries its matcher has not read yet. Every
 * matcher reads every entry and needs the record to match it; the creating instance's matcher takes it from here
 * instead of reading it back. A record changes only when its subscription ends; ending it here drops the copy, and an
 * end elsewhere is a later stream entry (initial.lua refuses pairs of an ended subscription meanwhile), so the copy
 * serves as well as a read would.
 */
export class CreatedHere {
  private readonly records = new Map<string, Omit<SubscriptionRecord, 'seq'>>();

  /** Added before the record is written: its stream position is not known yet. */
  add(record: Omit<SubscriptionRecord, 'seq'>): void {
    // The oldest is forgotten past the bound: its entry is read from Redis instead.
    setBounded(this.records, record.id, record, MAX_KEPT);
  }

  /** The subscription ended: its matcher is to read the ended record. */
  forget(id: string): void {
    this.records.delete(id);
  }

  /** The record of `id`, at stream position `seq`, if this instance created it and it was not taken yet; taken once. */
  take(id: string, seq: string): SubscriptionRecord | undefined {
    const record = this.records.get(id);
    if (!record) return undefined;
    this.records.delete(id);
    return { ...record, seq };
  }
}

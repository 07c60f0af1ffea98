import type { Demand as DemandView, Offer as OfferView } from '../../types/schemas';
export type { DemandView, OfferView };

export type SubscriptionKind = 'demand' | 'offer';

/**
 * A demand or offer as stored at `keys.subscription(id)`. This module is its one reader and writer: create.lua
 * stores exactly `subscriptionToHash(record)` plus the `seq` it assigns; end.lua deletes an ended subscription's
 * record and leaves a compact tombstone elsewhere (src/store/lua/include/subscriptionTombstone.lua).
 * `properties` is the JSON text of the flat, key-sorted map; `seq` is its position in the subscription stream.
 */
export interface SubscriptionRecord {
  id: string;
  kind: SubscriptionKind;
  owner: string;
  properties: string;
  constraints: string;
  createdAt: number;
  expiresAt: number;
  state: 'active' | 'unsubscribed';
  seq: string;
}

/** Field names of the hash, in the order they are written. */
export const SUBSCRIPTION_FIELDS = [
  'id',
  'kind',
  'owner',
  'properties',
  'constraints',
  'createdAt',
  'expiresAt',
  'state',
  'seq',
] as const satisfies ReadonlyArray<keyof SubscriptionRecord>;

/** The record stored at `keys.subscription(id)`, undefined when there is none. */
export function parseSubscriptionRecord(id: string, hash: Record<string, string>): SubscriptionRecord | undefined {
  if (!hash.owner) return undefined;
  return {
    id,
    kind: hash.kind === 'offer' ? 'offer' : 'demand',
    owner: hash.owner,
    properties: hash.properties ?? '{}',
    constraints: hash.constraints ?? '',
    createdAt: Number(hash.createdAt ?? 0),
    expiresAt: Number(hash.expiresAt),
    state: hash.state === 'active' ? 'active' : 'unsubscribed',
    seq: hash.seq ?? '',
  };
}

/** The flat field/value list HSET takes, without `seq` (the stream position create.lua assigns). */
export function subscriptionToHash(record: Omit<SubscriptionRecord, 'seq'>): string[] {
  return SUBSCRIPTION_FIELDS.filter((f) => f !== 'seq').flatMap((f) => [f, String(record[f])]);
}

export function isLive(record: SubscriptionRecord, now = Date.now()): boolean {
  return record.state === 'active' && record.expiresAt > now;
}

/** A subscription as the Market API shows it (field order as yagna serialises it). */
export function renderSubscription(record: SubscriptionRecord): OfferView | DemandView {
  const properties = JSON.parse(record.properties) as Record<string, unknown>;
  const timestamp = new Date(record.createdAt).toISOString();
  return record.kind === 'offer'
    ? { properties, constraints: record.constraints, offerId: record.id, providerId: record.owner, timestamp }
    : { properties, constraints: record.constraints, demandId: record.id, requestorId: record.owner, timestamp };
}

/**
 * A subscription stream entry: 'sub' when a subscription starts, 'end' when it is unsubscribed or expires, 'view' when
 * the matchers' membership changes (`members`, comma-separated, and `from`, where a replay starts; see membership.ts).
 * A view entry's id and kind are empty.
 */
export interface StreamEntry {
  op: 'sub' | 'end' | 'view';
  id: string;
  kind: SubscriptionKind;
  members: string;
  from: string;
}

export function parseStreamEntry(fields: string[]): StreamEntry {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  const op = map.op === 'sub' || map.op === 'view' ? map.op : 'end';
  return {
    op,
    id: map.id ?? '',
    kind: map.kind === 'offer' ? 'offer' : 'demand',
    members: map.members ?? '',
    from: map.from ?? '',
  };
}

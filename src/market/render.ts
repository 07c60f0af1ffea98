import type { SubscriptionRecord } from './subscriptions';

/** mirrors schemas/Offer.json */
export interface OfferView {
  properties: Record<string, unknown>;
  constraints: string;
  offerId: string;
  providerId: string;
  timestamp: string;
}

/** mirrors schemas/Demand.json */
export interface DemandView {
  properties: Record<string, unknown>;
  constraints: string;
  demandId: string;
  requestorId: string;
  timestamp: string;
}

/** A subscription as the Market API shows it (field order as yagna serialises it). */
export function renderSubscription(record: SubscriptionRecord): OfferView | DemandView {
  const properties = JSON.parse(record.properties) as Record<string, unknown>;
  const timestamp = new Date(record.createdAt).toISOString();
  return record.kind === 'offer'
    ? { properties, constraints: record.constraints, offerId: record.id, providerId: record.owner, timestamp }
    : { properties, constraints: record.constraints, demandId: record.id, requestorId: record.owner, timestamp };
}

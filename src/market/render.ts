import type { SubscriptionRecord } from './subscriptions';
import type { Demand as DemandView, Offer as OfferView } from '../types/schemas';
export type { DemandView, OfferView };

/** A subscription as the Market API shows it (field order as yagna serialises it). */
export function renderSubscription(record: SubscriptionRecord): OfferView | DemandView {
  const properties = JSON.parse(record.properties) as Record<string, unknown>;
  const timestamp = new Date(record.createdAt).toISOString();
  return record.kind === 'offer'
    ? { properties, constraints: record.constraints, offerId: record.id, providerId: record.owner, timestamp }
    : { properties, constraints: record.constraints, demandId: record.id, requestorId: record.owner, timestamp };
}

import type { Party } from '../support/identities';
import type { TestInstance } from '../support/instance';

export const BASE = '/market-api/v1';

export interface Event {
  eventType: string;
  eventDate: string;
  proposal?: {
    proposalId: string;
    issuerId: string;
    state: string;
    properties: Record<string, unknown>;
    constraints: string;
    prevProposalId?: string;
  };
  proposalId?: string;
  reason?: Record<string, unknown>;
}

/** Thin supertest calls of one party against one instance (the ya-ts-client suite covers the published client). */
export function marketOf(t: TestInstance, party: Party) {
  const auth = { Authorization: `Bearer ${party.token}` };
  const get = (path: string) => t.request.get(BASE + path).set(auth);
  const post = (path: string, body?: unknown) => {
    const req = t.request.post(BASE + path).set(auth);
    return body === undefined ? req : req.send(body as object);
  };
  const del = (path: string) => t.request.delete(BASE + path).set(auth);

  async function subscribe(kind: 'offers' | 'demands', properties: object, constraints = '()'): Promise<string> {
    const res = await post(`/${kind}`, { properties, constraints });
    if (res.status !== 201) throw new Error(`subscribe ${kind}: ${res.status} ${res.text}`);
    return res.body as string;
  }

  /**
   * Collects until `count` events arrived (each call waits for the next one); fails after `timeoutS` of waiting per
   * call.
   */
  async function collectN(kind: 'offers' | 'demands', id: string, count: number, timeoutS = 5): Promise<Event[]> {
    const events: Event[] = [];
    while (events.length < count) {
      const res = await get(`/${kind}/${id}/events?timeout=${timeoutS}&maxEvents=100`);
      if (res.status !== 200) throw new Error(`collect: ${res.status} ${res.text}`);
      if ((res.body as Event[]).length === 0)
        throw new Error(`collect: timed out with ${events.length}/${count} events`);
      events.push(...(res.body as Event[]));
    }
    return events;
  }

  return {
    party,
    get,
    post,
    del,
    subscribeOffer: (properties: object, constraints?: string) => subscribe('offers', properties, constraints),
    subscribeDemand: (properties: object, constraints?: string) => subscribe('demands', properties, constraints),
    collectOffers: (demandId: string, count = 1, timeoutS?: number) => collectN('demands', demandId, count, timeoutS),
    collectDemands: (offerId: string, count = 1, timeoutS?: number) => collectN('offers', offerId, count, timeoutS),
  };
}

export type Market = ReturnType<typeof marketOf>;

/** A unique property value so that tests sharing a prefix never match each other's subscriptions. */
export function uniqueTag(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}

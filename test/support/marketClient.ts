import type { Test } from 'supertest';
import type { Party } from './identities';
import type { TestInstance } from './instance';
import type { NegotiationEvent } from './marketEvents';

/** The Market API's base path. */
export const MARKET_BASE = '/market-api/v1';

/** Sets a party's bearer token on a supertest request. */
export const as =
  (party: Party) =>
  (test: Test): Test =>
    test.set('Authorization', `Bearer ${party.token}`);

function withReason(test: Test, reason: object | null | undefined): Test {
  if (reason === undefined) return test;
  return test.set('Content-Type', 'application/json').send(JSON.stringify(reason));
}

/** An ISO date `seconds` from now (validTo). */
export function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

/**
 * The suite's one supertest client of the Market API, for one party against one instance (the ya-ts-client tests
 * cover the published client): raw calls, subscriptions and negotiation events, and `agreements`.
 */
export function marketClient(t: TestInstance, party: Party) {
  const auth = as(party);
  const get = (path: string) => auth(t.request.get(MARKET_BASE + path));
  const post = (path: string, body?: unknown) => {
    const req = auth(t.request.post(MARKET_BASE + path));
    return body === undefined ? req : req.send(body as object);
  };
  const del = (path: string) => auth(t.request.delete(MARKET_BASE + path));

  async function subscribe(kind: 'offers' | 'demands', properties: object, constraints = '()'): Promise<string> {
    const res = await post(`/${kind}`, { properties, constraints });
    if (res.status !== 201) throw new Error(`subscribe ${kind}: ${res.status} ${res.text}`);
    return res.body as string;
  }

  /** Collects until `count` events arrived (each call waits for the next); fails after `timeoutS` per call. */
  async function collectN(
    kind: 'offers' | 'demands',
    id: string,
    count: number,
    timeoutS = 5,
  ): Promise<NegotiationEvent[]> {
    const events: NegotiationEvent[] = [];
    while (events.length < count) {
      const res = await get(`/${kind}/${id}/events?timeout=${timeoutS}&maxEvents=100`);
      if (res.status !== 200) throw new Error(`collect: ${res.status} ${res.text}`);
      if ((res.body as NegotiationEvent[]).length === 0)
        throw new Error(`collect: timed out with ${events.length}/${count} events`);
      events.push(...(res.body as NegotiationEvent[]));
    }
    return events;
  }

  const agreements = {
    create: (proposalId: string, validTo: string = inSeconds(3600)) =>
      post('/agreements').send({ proposalId, validTo }),
    get: (id: string) => get(`/agreements/${id}`),
    list: (query: Record<string, string> = {}) => get('/agreements').query(query),
    confirm: (id: string, appSessionId?: string) =>
      post(`/agreements/${id}/confirm`).query(appSessionId ? { appSessionId } : {}),
    wait: (id: string, timeout = 5) => post(`/agreements/${id}/wait`).query({ timeout }),
    approve: (id: string, appSessionId?: string) =>
      post(`/agreements/${id}/approve`).query(appSessionId ? { appSessionId } : {}),
    reject: (id: string, reason?: object | null) => withReason(post(`/agreements/${id}/reject`), reason),
    cancel: (id: string, reason?: object | null) => withReason(post(`/agreements/${id}/cancel`), reason),
    terminate: (id: string, reason?: object | null) => withReason(post(`/agreements/${id}/terminate`), reason),
    reasonGet: (id: string) => get(`/agreements/${id}/terminate/reason`),
    reasonPost: (id: string) => post(`/agreements/${id}/terminate/reason`),
    events: (query: Record<string, string | number> = {}) =>
      get('/agreementEvents').query({ timeout: 0, maxEvents: 100, ...query }),
  };

  return {
    party,
    get,
    post,
    del,
    subscribeOffer: (properties: object, constraints?: string) => subscribe('offers', properties, constraints),
    subscribeDemand: (properties: object, constraints?: string) => subscribe('demands', properties, constraints),
    collectOffers: (demandId: string, count = 1, timeoutS?: number) => collectN('demands', demandId, count, timeoutS),
    collectDemands: (offerId: string, count = 1, timeoutS?: number) => collectN('offers', offerId, count, timeoutS),
    agreements,
  };
}

export type MarketClient = ReturnType<typeof marketClient>;
export type AgreementClient = MarketClient['agreements'];

/** A unique property value so that tests sharing a prefix never match each other's subscriptions. */
export function uniqueTag(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}

import { randomBytes } from 'node:crypto';
import type { Test } from 'supertest';
import { newParty, type Party } from '../support/identities';
import type { TestInstance } from '../support/instance';
import { yaClient } from '../support/yaClient';

/**
 * Negotiation fixtures written straight into Redis following the market's proposal-record contract, so the
 * agreement state machine can be tested without going through negotiation (the happy-path test does that).
 */

const hex64 = (): string => randomBytes(32).toString('hex');
const subscriptionId = (): string => `${randomBytes(16).toString('hex')}-${hex64()}`;

export interface Negotiation {
  requestor: Party;
  provider: Party;
  demandId: string;
  offerId: string;
  /** The market's Initial proposal (issued by the provider, only the requestor knows it). */
  initialHex: string;
  /** The requestor's counter-proposal of the Initial one. */
  requestorHex: string;
  /** The provider's Draft answering it: what createAgreement promotes. */
  draftHex: string;
}

export const DEMAND_PROPERTIES = { 'golem.node.debug.subnet': 'fixture', 'golem.srv.comp.expiration': 1 };
export const OFFER_PROPERTIES = { 'golem.inf.mem.gib': 1, 'golem.runtime.name': 'fixture' };

interface ProposalFields {
  issuer: 'requestor' | 'provider';
  state: 'Initial' | 'Draft' | 'Rejected' | 'Accepted';
  properties: object;
  constraints: string;
  prevId: string;
  counterId: string;
}

async function writeProposal(
  t: TestInstance,
  n: Omit<Negotiation, 'initialHex' | 'requestorHex' | 'draftHex'>,
  id: string,
  f: ProposalFields,
): Promise<void> {
  const { keys, redis } = t.instance.core;
  await redis.hset(keys.proposal(id), {
    id,
    demandId: n.demandId,
    offerId: n.offerId,
    requestorId: n.requestor.address,
    providerId: n.provider.address,
    issuer: f.issuer,
    properties: JSON.stringify(f.properties),
    constraints: f.constraints,
    state: f.state,
    timestamp: new Date().toISOString(),
    prevId: f.prevId,
    counterId: f.counterId,
    agreementId: '',
    providerKnows: f.issuer === 'provider' && f.state === 'Initial' ? '' : '1',
    reason: '',
  });
}

/** A negotiation of two fresh parties that reached a provider Draft (or the given parties' next one). */
export async function negotiation(
  t: TestInstance,
  parties?: { requestor: Party; provider: Party },
): Promise<Negotiation> {
  const base = {
    requestor: parties?.requestor ?? (await newParty(t)),
    provider: parties?.provider ?? (await newParty(t)),
    demandId: subscriptionId(),
    offerId: subscriptionId(),
  };
  const n: Negotiation = { ...base, initialHex: hex64(), requestorHex: hex64(), draftHex: hex64() };
  await writeProposal(t, base, n.initialHex, {
    issuer: 'provider',
    state: 'Initial',
    properties: OFFER_PROPERTIES,
    constraints: '()',
    prevId: '',
    counterId: n.requestorHex,
  });
  await writeProposal(t, base, n.requestorHex, {
    issuer: 'requestor',
    state: 'Draft',
    properties: DEMAND_PROPERTIES,
    constraints: '(golem.inf.mem.gib>0.5)',
    prevId: n.initialHex,
    counterId: n.draftHex,
  });
  await writeProposal(t, base, n.draftHex, {
    issuer: 'provider',
    state: 'Draft',
    properties: OFFER_PROPERTIES,
    constraints: '(golem.node.debug.subnet=fixture)',
    prevId: n.requestorHex,
    counterId: '',
  });
  return n;
}

/** Overwrites fields of a stored proposal (e.g. to make it Rejected for a refusal test). */
export async function patchProposal(t: TestInstance, hex: string, fields: Record<string, string>): Promise<void> {
  await t.instance.core.redis.hset(t.instance.core.keys.proposal(hex), fields);
}

export const as =
  (party: Party) =>
  (test: Test): Test =>
    test.set('Authorization', `Bearer ${party.token}`);

/** A small typed client over supertest for one party. */
export function client(t: TestInstance, party: Party) {
  const auth = as(party);
  const base = '/market-api/v1';
  return {
    create: (proposalId: string, validTo: string = inSeconds(3600)) =>
      auth(t.request.post(`${base}/agreements`).send({ proposalId, validTo })),
    get: (id: string) => auth(t.request.get(`${base}/agreements/${id}`)),
    list: (query: Record<string, string> = {}) => auth(t.request.get(`${base}/agreements`).query(query)),
    confirm: (id: string, appSessionId?: string) =>
      auth(t.request.post(`${base}/agreements/${id}/confirm`).query(appSessionId ? { appSessionId } : {})),
    wait: (id: string, timeout = 5) => auth(t.request.post(`${base}/agreements/${id}/wait`).query({ timeout })),
    approve: (id: string, appSessionId?: string) =>
      auth(t.request.post(`${base}/agreements/${id}/approve`).query(appSessionId ? { appSessionId } : {})),
    reject: (id: string, reason?: object | null) =>
      withReason(auth(t.request.post(`${base}/agreements/${id}/reject`)), reason),
    cancel: (id: string, reason?: object | null) =>
      withReason(auth(t.request.post(`${base}/agreements/${id}/cancel`)), reason),
    terminate: (id: string, reason?: object | null) =>
      withReason(auth(t.request.post(`${base}/agreements/${id}/terminate`)), reason),
    reasonGet: (id: string) => auth(t.request.get(`${base}/agreements/${id}/terminate/reason`)),
    reasonPost: (id: string) => auth(t.request.post(`${base}/agreements/${id}/terminate/reason`)),
    events: (query: Record<string, string | number> = {}) =>
      auth(t.request.get(`${base}/agreementEvents`).query({ timeout: 0, maxEvents: 100, ...query })),
  };
}
export type Client = ReturnType<typeof client>;

function withReason(test: Test, reason: object | null | undefined): Test {
  if (reason === undefined) return test;
  return test.set('Content-Type', 'application/json').send(JSON.stringify(reason));
}

export function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

/** Creates an agreement from a fresh negotiation's Draft; returns its id and the parties' clients. */
export async function agreement(t: TestInstance, validTo?: string, parties?: { requestor: Party; provider: Party }) {
  const n = await negotiation(t, parties);
  const requestor = client(t, n.requestor);
  const provider = client(t, n.provider);
  const res = await requestor.create(`R-${n.draftHex}`, validTo);
  if (res.status !== 200) throw new Error(`createAgreement failed: ${res.status} ${res.text}`);
  return { n, id: res.body as string, requestor, provider };
}

export type NegotiationEventBody = {
  eventType: string;
  eventDate: string;
  proposal?: { proposalId: string; state: string; issuerId: string };
  agreement?: { agreementId: string; state: string };
};

/** Long-polls a negotiation queue until an event of `type` arrives. */
export async function nextNegotiationEvent(
  collect: () => Promise<unknown[]>,
  type: string,
): Promise<NegotiationEventBody> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = ((await collect()) as NegotiationEventBody[]).find((e) => e.eventType === type);
    if (found) return found;
  }
  throw new Error(`no ${type} arrived`);
}

export const API_DEMAND = {
  properties: { 'golem.node.debug.subnet': 'api', 'golem.srv.comp.expiration': 1 },
  constraints: '(golem.inf.mem.gib>0.5)',
};
export const API_OFFER = {
  properties: { 'golem.inf.mem.gib': 2, 'golem.runtime.name': 'api' },
  constraints: '(golem.node.debug.subnet=api)',
};

/** A real negotiation through the market routes (ya-ts-client) up to the provider's Draft, as the requestor sees it. */
export async function negotiateViaApi(t: TestInstance) {
  const requestorParty = await newParty(t);
  const providerParty = await newParty(t);
  const requestor = yaClient(t, requestorParty).requestor;
  const provider = yaClient(t, providerParty).provider;
  const offerId = (await provider.subscribeOffer(API_OFFER)) as string;
  const demandId = (await requestor.subscribeDemand(API_DEMAND)) as string;
  const initial = await nextNegotiationEvent(() => requestor.collectOffers(demandId, 5, 10), 'ProposalEvent');
  await requestor.counterProposalDemand(demandId, initial.proposal!.proposalId, API_DEMAND);
  const countered = await nextNegotiationEvent(() => provider.collectDemands(offerId, 5, 10), 'ProposalEvent');
  await provider.counterProposalOffer(offerId, countered.proposal!.proposalId, API_OFFER);
  const draft = await nextNegotiationEvent(() => requestor.collectOffers(demandId, 5, 10), 'ProposalEvent');
  return {
    requestorParty,
    providerParty,
    requestor,
    provider,
    offerId,
    demandId,
    initialId: initial.proposal!.proposalId,
    draftId: draft.proposal!.proposalId,
  };
}

import { randomBytes } from 'node:crypto';
import { proposalToHash, type ProposalRecord } from '../../../src/market/negotiation/proposal';
import { newParty, type Party } from '../../support/identities';
import type { TestInstance } from '../../support/instance';
import { marketClient, type AgreementClient } from '../../support/marketClient';
import type { NegotiationEvent } from '../../support/marketEvents';
import { yaClient } from '../../support/yaClient';
export { as, inSeconds } from '../../support/marketClient';

/**
 * Negotiation fixtures stored through the proposal record's codec, so the agreement state machine can be tested
 * without going through negotiation (the happy-path test does that).
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
/** Properties that declare a workload: a demand's approval is then handed off to compute (which queues the job). */
export const WORKLOAD_PROPERTIES = {
  'bourse.job.runtime': 'sh',
  'bourse.job.algorithm': 'true',
  'bourse.job.maxDuration': 60,
};
export const WORKLOAD_DEMAND_PROPERTIES = { ...DEMAND_PROPERTIES, ...WORKLOAD_PROPERTIES };
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
  const record: ProposalRecord = {
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
    providerKnows: !(f.issuer === 'provider' && f.state === 'Initial'),
    reason: '',
  };
  await redis.hset(keys.proposal(id), ...proposalToHash(record));
}

/** A negotiation of two fresh parties that reached a provider Draft (or the given parties' next one). */
export async function negotiation(
  t: TestInstance,
  parties?: { requestor: Party; provider: Party },
  demandProperties: Record<string, unknown> = DEMAND_PROPERTIES,
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
    properties: demandProperties,
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

/** Overwrites fields of a stored proposal (e.g. to make it Rejected for a refusal test), through its codec. */
export async function patchProposal(t: TestInstance, hex: string, fields: Partial<ProposalRecord>): Promise<void> {
  await t.instance.core.redis.hset(t.instance.core.keys.proposal(hex), ...proposalToHash(fields));
}

/** One party's agreement calls (the agreements part of the suite's Market API client). */
export function client(t: TestInstance, party: Party): AgreementClient {
  return marketClient(t, party).agreements;
}
export type Client = AgreementClient;

/**
 * Creates an agreement from a fresh negotiation's Draft; returns its id and the parties' clients. `validTo` may be
 * a function, evaluated just before the agreement is created (so slow party set-up does not eat into it).
 */
export async function agreement(
  t: TestInstance,
  validTo?: string | (() => string),
  parties?: { requestor: Party; provider: Party },
  demandProperties?: Record<string, unknown>,
) {
  const n = await negotiation(t, parties, demandProperties);
  const requestor = client(t, n.requestor);
  const provider = client(t, n.provider);
  const res = await requestor.create(`R-${n.draftHex}`, typeof validTo === 'function' ? validTo() : validTo);
  if (res.status !== 200) throw new Error(`createAgreement failed: ${res.status} ${res.text}`);
  return { n, id: res.body as string, requestor, provider };
}

/** Long-polls a negotiation queue until an event of `type` arrives. */
export async function nextNegotiationEvent(collect: () => Promise<unknown[]>, type: string): Promise<NegotiationEvent> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const found = ((await collect()) as NegotiationEvent[]).find((e) => e.eventType === type);
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

type Spec = { properties: Record<string, unknown>; constraints: string };

/** A real negotiation through the market routes (ya-ts-client) up to the provider's Draft, as the requestor sees it. */
export async function negotiateViaApi(t: TestInstance, offer: Spec = API_OFFER, demand: Spec = API_DEMAND) {
  const requestorParty = await newParty(t);
  const providerParty = await newParty(t);
  const requestor = yaClient(t, requestorParty).requestor;
  const provider = yaClient(t, providerParty).provider;
  const offerId = (await provider.subscribeOffer(offer)) as string;
  const demandId = (await requestor.subscribeDemand(demand)) as string;
  const initial = await nextNegotiationEvent(() => requestor.collectOffers(demandId, 5, 10), 'ProposalEvent');
  await requestor.counterProposalDemand(demandId, initial.proposal!.proposalId, demand);
  const countered = await nextNegotiationEvent(() => provider.collectDemands(offerId, 5, 10), 'ProposalEvent');
  await provider.counterProposalOffer(offerId, countered.proposal!.proposalId, offer);
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

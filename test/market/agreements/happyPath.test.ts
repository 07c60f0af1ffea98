import { validator } from '../../../src/http/validate';
import { nextNegotiationEvent } from './fixtures';
import type { AgreementEvent } from '../../support/marketEvents';
import { yaMarket } from '../../support/yaClient';

// Every body the test sees must also match its schema in schemas/.
const schemaChecks = {
  agreement: validator('Agreement.json'),
  entry: validator('AgreementListEntry.json'),
  event: validator('AgreementOperationEvent.json'),
};

/**
 * The whole handshake as golem-js and ya-provider drive it, through ya-ts-client 1.1.3 and the real
 * negotiation: subscribe → Initial proposal → counter → counter → create → confirm → AgreementEvent →
 * approve / waitForApproval → AgreementApprovedEvent → terminate → AgreementTerminatedEvent → reason.
 */

const DEMAND = {
  properties: { 'golem.node.debug.subnet': 'happy', 'golem.srv.comp.expiration': Date.now() + 3_600_000 },
  constraints: '(golem.inf.mem.gib>0.5)',
};
const OFFER = {
  properties: { 'golem.inf.mem.gib': 2, 'golem.runtime.name': 'happy' },
  constraints: '(golem.node.debug.subnet=happy)',
};
const market = yaMarket();

it('runs the full handshake and termination through ya-ts-client', async () => {
  const offerId = (await market.provider.subscribeOffer(OFFER)) as string;
  const demandId = (await market.requestor.subscribeDemand(DEMAND)) as string;
  const cursor = new Date(Date.now() - 1000).toISOString();

  // Negotiation: Initial (market) → requestor's counter → provider's Draft.
  const initial = await nextNegotiationEvent(() => market.requestor.collectOffers(demandId, 5, 10), 'ProposalEvent');
  expect(initial.proposal?.state).toBe('Initial');
  const counter = (await market.requestor.counterProposalDemand(
    demandId,
    initial.proposal!.proposalId,
    DEMAND,
  )) as string;
  const seenByProvider = await nextNegotiationEvent(
    () => market.provider.collectDemands(offerId, 5, 10),
    'ProposalEvent',
  );
  expect(seenByProvider.proposal?.proposalId).toBe(counter.replace(/^R-/, 'P-'));
  const draft = (await market.provider.counterProposalOffer(
    offerId,
    seenByProvider.proposal!.proposalId,
    OFFER,
  )) as string;
  const draftEvent = await nextNegotiationEvent(() => market.requestor.collectOffers(demandId, 5, 10), 'ProposalEvent');
  expect(draftEvent.proposal).toMatchObject({
    proposalId: draft.replace(/^P-/, 'R-'),
    state: 'Draft',
    issuerId: market.providerParty.address,
  });

  // Create and confirm.
  const agreementId = (await market.requestor.createAgreement({
    proposalId: draftEvent.proposal!.proposalId,
    validTo: new Date(Date.now() + 3_600_000).toISOString(),
  })) as string;
  expect(agreementId).toMatch(/^[0-9a-f]{64}$/);
  const created = await market.requestor.getAgreement(agreementId);
  expect(created).toMatchObject({
    agreementId,
    state: 'Proposal',
    demand: { demandId, requestorId: market.requestorParty.address },
    offer: { offerId, providerId: market.providerParty.address },
  });
  expect(created.demand.properties).toEqual(DEMAND.properties);
  expect(created.offer.properties).toEqual(OFFER.properties);
  schemaChecks.agreement(created);
  await market.requestor.confirmAgreement(agreementId, 'requestor-session');

  // The provider learns of it on its offer queue, as it is now.
  const agreementEvent = await nextNegotiationEvent(
    () => market.provider.collectDemands(offerId, 5, 10),
    'AgreementEvent',
  );
  expect(agreementEvent.agreement).toMatchObject({ agreementId, state: 'Pending' });

  // Approve while the requestor waits: both return 204 (undefined).
  const waiting = market.requestor.waitForApproval(agreementId, 10);
  await market.provider.approveAgreement(agreementId, 'provider-session', 5);
  await expect(waiting).resolves.toBeUndefined();
  const approved = await market.requestor.getAgreement(agreementId);
  expect(approved.state).toBe('Approved');
  expect(approved.approvedDate).toBeDefined();
  expect(approved.appSessionId).toBe('requestor-session');
  expect((await market.provider.getAgreement(agreementId)).appSessionId).toBe('provider-session');
  schemaChecks.agreement(approved);

  // Both see exactly one AgreementApprovedEvent (each filtered by its own session).
  const requestorApproved = (await market.requestor.collectAgreementEvents(
    5,
    cursor,
    10,
    'requestor-session',
  )) as AgreementEvent[];
  const providerApproved = (await market.provider.collectAgreementEvents(
    5,
    cursor,
    10,
    'provider-session',
  )) as AgreementEvent[];
  for (const events of [requestorApproved, providerApproved]) {
    expect(events).toEqual([{ eventDate: expect.any(String), agreementId, eventType: 'AgreementApprovedEvent' }]);
  }

  // Terminate with a reason; both see it, with terminator and signature.
  const reason = { message: 'Work finished', 'golem.requestor.code': 'Success' };
  await market.requestor.terminateAgreement(agreementId, reason);
  const expected = {
    agreementId,
    eventType: 'AgreementTerminatedEvent',
    terminator: 'Requestor',
    signature: '',
    reason,
  };
  const rTerminated = (await market.requestor.collectAgreementEvents(
    5,
    requestorApproved[0].eventDate,
    10,
  )) as AgreementEvent[];
  const pTerminated = (await market.provider.collectAgreementEvents(
    5,
    providerApproved[0].eventDate,
    10,
  )) as AgreementEvent[];
  expect(rTerminated).toEqual([{ eventDate: expect.any(String), ...expected }]);
  expect(pTerminated).toEqual([{ eventDate: expect.any(String), ...expected }]);
  expect((await market.requestor.getAgreement(agreementId)).state).toBe('Terminated');
  for (const event of [...requestorApproved, ...providerApproved, ...rTerminated, ...pTerminated])
    schemaChecks.event(event);

  // The reason on POST (ya-ts-client) and GET (yagna), for both parties.
  expect(await market.requestor.getTerminateAgreementReason(agreementId)).toMatchObject(expected);
  expect(await market.provider.getTerminateAgreementReason(agreementId)).toMatchObject(expected);
  const viaGet = await market.t.request
    .get(`/market-api/v1/agreements/${agreementId}/terminate/reason`)
    .set('Authorization', `Bearer ${market.providerParty.token}`);
  expect(viaGet.status).toBe(200);
  expect(viaGet.body).toMatchObject(expected);
  schemaChecks.event(viaGet.body);

  // The listing shows it for both roles.
  for (const entry of await market.requestor.listAgreements()) schemaChecks.entry(entry);
  expect(await market.requestor.listAgreements()).toEqual([
    { id: agreementId, timestamp: created.timestamp, approvedDate: approved.approvedDate, role: 'Requestor' },
  ]);
  expect(await market.provider.listAgreements('provider-session', 'Terminated')).toEqual([
    { id: agreementId, timestamp: created.timestamp, approvedDate: approved.approvedDate, role: 'Provider' },
  ]);

  // The pair may negotiate again: a fresh Initial proposal for the demand.
  const again = await nextNegotiationEvent(() => market.requestor.collectOffers(demandId, 5, 10), 'ProposalEvent');
  expect(again.proposal?.state).toBe('Initial');
  expect(again.proposal?.proposalId).not.toBe(initial.proposal!.proposalId);
});

import type { Core } from '../../kernel/core';
import { newAgreementId } from '../ids';
import { agreementToHash, type AgreementRecord } from './record';

export const INVOKE_SERVICE_PROPERTY = 'bourse.invoke.service';

export interface FreeInvocation {
  requestor: string;
  provider: string;
  serviceId: string;
  validToMs: number;
}

/**
 * Records the agreement a free service invocation runs under: there is no negotiation (the service's provider
 * published it as free), so the record is written Approved at once, its demand naming the service. It is never
 * handed off to the dispatcher (the invocation creates its job itself) and lists like any other agreement of both
 * parties, so the agreement and compute endpoints see free invocations as they see every other job.
 */
export async function recordFreeInvocationAgreement(core: Core, invocation: FreeInvocation): Promise<string> {
  const id = newAgreementId();
  const now = new Date();
  const record: Partial<AgreementRecord> = {
    id,
    proposalId: '',
    demandId: '',
    offerId: '',
    requestorId: invocation.requestor.toLowerCase(),
    providerId: invocation.provider.toLowerCase(),
    demandProperties: JSON.stringify({ [INVOKE_SERVICE_PROPERTY]: invocation.serviceId }),
    demandConstraints: '()',
    offerProperties: '{}',
    offerConstraints: '()',
    validTo: new Date(invocation.validToMs).toISOString(),
    validToMs: invocation.validToMs,
    state: 'Approved',
    timestamp: now.toISOString(),
    createdMs: now.getTime(),
    approvedDate: now.toISOString(),
    confirmedDate: now.toISOString(),
  };
  const k = core.keys;
  await core.redis
    .multi()
    .hset(k.agreement(id), ...agreementToHash(record))
    .zadd(k.partyAgreements(invocation.requestor), now.getTime(), id)
    .zadd(k.partyAgreements(invocation.provider), now.getTime(), id)
    .exec();
  return id;
}

import { DomainError, Gone, Invalid, NotFound } from '../../kernel/errors';
import { renderProposalId, type Role } from '../ids';
import type { ProposalRecord } from './proposal';

/** What counter.lua and reject.lua answer when they refuse. */
export type Refusal =
  | 'notfound'
  | 'own'
  | 'retry'
  | 'countered'
  | 'accepted'
  | 'offer-missing'
  | 'offer-unsubscribed'
  | 'offer-expired'
  | 'demand-missing';

/** The one table of negotiation refusals, in yagna's wording. */
export function refusal(
  reason: Refusal,
  record: ProposalRecord,
  role: Role,
  action: 'counter' | 'reject',
): DomainError {
  const id = renderProposalId(record.id, role);
  switch (reason) {
    case 'own':
      return new Invalid(`Can't react to own Proposal [${id}].`);
    case 'countered':
    case 'retry':
      return new Gone(`Proposal [${id}] already has counter proposal. Can't counter for the second time.`);
    case 'accepted':
      return new Gone(`Proposal [${id}] was promoted to an Agreement. Can't reject it.`);
    case 'offer-missing':
      return new Invalid(`Subscription [${record.offerId}] wasn't found.`);
    case 'offer-unsubscribed':
      return new Invalid(`Subscription [${record.offerId}] was already unsubscribed.`);
    case 'offer-expired':
      // yagna: an expired offer is 410 on counter but, like every validation error on reject, 400 there.
      return action === 'counter'
        ? new Gone(`Subscription [${record.offerId}] expired.`)
        : new Invalid(`Subscription [${record.offerId}] expired.`);
    case 'demand-missing':
      return new Invalid(`Subscription [${record.demandId}] wasn't found.`);
    case 'notfound':
      return new NotFound(`Proposal [${id}] not found.`);
  }
}

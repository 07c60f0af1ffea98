import { Conflict, DomainError, Gone, Invalid } from '../../kernel/errors';
import { AGREEMENT_ACTIONS, type Action, type AgreementState } from './record';

/** The refusals of agreement operations, in yagna's wording byte for byte (tests pin them). */

/** What create.lua answers when it refuses. */
export type CreateRefusal = 'notfound' | 'own' | 'second' | 'initial' | 'rejected' | 'countered' | 'state';

export function createNotFound(proposalId: string): DomainError {
  return new Invalid(`Can't create Agreement for Proposal [${proposalId}]. Proposal [${proposalId}] not found.`);
}

export function createRefusal(code: CreateRefusal, proposalId: string, detail: string | undefined): DomainError {
  switch (code) {
    case 'notfound':
      return createNotFound(proposalId);
    case 'own':
      return new Invalid(
        `Can't create Agreement for an own Proposal [${proposalId}]. You can promote only provider's Proposals to Agreement.`,
      );
    case 'second':
      return new Conflict(`Can't create second Agreement for Proposal [${proposalId}].`);
    case 'initial':
      return new Invalid(
        `Can't create Agreement for Proposal [${proposalId}]. No negotiation with Provider took place. (You should counter Proposal at least one time)`,
      );
    case 'rejected':
      return new Invalid(`Can't create Agreement for rejected Proposal [${proposalId}].`);
    case 'countered':
      return new Invalid(`Can't create Agreement for already countered Proposal [${proposalId}].`);
    case 'state':
      return new Invalid(`Can't create Agreement for Proposal [${proposalId}] in state ${detail ?? code}.`);
  }
}

/** An illegal transition: 409 from Proposal, 410 from any other state. `name`: the id as the caller sees it. */
export function transitionRefusal(action: Exclude<Action, 'read'>, from: AgreementState, name: string): DomainError {
  if (action === 'approve' && from === 'Cancelled') return new Gone('Cancelled');
  const spec = AGREEMENT_ACTIONS[action];
  const target = spec.refusalName ?? spec.to;
  const message = `Agreement [${name}]. Error: Can't update Agreement state from ${from} to ${target}.`;
  return from === 'Proposal' ? new Conflict(message) : new Gone(message);
}

/** waitForApproval's answer for an agreement that is not (yet) Approved; undefined = keep waiting (Pending). */
export function waitRefusal(state: AgreementState, name: string): DomainError | undefined {
  switch (state) {
    case 'Approved':
    case 'Pending':
      return undefined;
    case 'Proposal':
      return new Invalid(`Agreement [${name}] should be confirmed, before waiting for approval.`);
    case 'Cancelled':
    case 'Rejected':
      return new Gone(state);
    case 'Expired':
      return new Gone(`Agreement [${name}] expired.`);
    case 'Terminated':
      return new Invalid(`Agreement [${name}] terminated.`);
  }
}

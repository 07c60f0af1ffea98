import path from 'node:path';
import type { Core } from '../../kernel/core';
import { defineScript, hashOf, outcome } from '../../store/scripts';
import { MAX_QUEUED_EVENTS } from '../limits';
import { agreementEventEntry } from '../negotiation/proposal';
import type { Reason } from '../../types/schemas';
import { HANDOFF_FIELDS, HANDOFF_VERSION, WORKLOAD_PROPERTY_PREFIX } from './handoff';
import {
  AGREEMENT_ACTIONS,
  agreementToHash,
  parseAgreementRecord,
  type Action,
  type AgreementRecord,
  type AgreementState,
} from './record';
import type { CreateRefusal } from './refusals';

/** Typed calls of the agreement scripts (create.lua, transition.lua): every key and argument by name. */

const createScript = defineScript({
  name: 'agreement.create',
  file: path.join(__dirname, 'lua', 'create.lua'),
  keys: ['proposal', 'agreement', 'expiring', 'partyIndex'],
  args: ['caller', 'id', 'validToMs', 'nowMs', 'retentionMs', 'proposalPrefix'],
  parse: (reply): CreateResult => {
    const { code, values } = outcome(reply);
    if (code !== 'ok') return { code: code as CreateRefusal, detail: values[0] as string | undefined };
    const [providerId, offerId, demandId] = values as string[];
    return { code, parties: { providerId, offerId, demandId } };
  },
});

/** A created agreement's parties (besides the requestor, its caller), or the refusal. */
export type CreateResult =
  { code: 'ok'; parties: Omit<PartyIds, 'requestorId'> } | { code: CreateRefusal; detail?: string };

export type TransitionResult =
  { code: 'ok' | 'illegal'; state: AgreementState; record?: AgreementRecord } | { code: 'notfound' };

const transitionScript = defineScript({
  name: 'agreement.transition',
  file: path.join(__dirname, 'lua', 'transition.lua'),
  keys: [
    'agreement',
    'expiring',
    'requestorLog',
    'providerLog',
    'requestorClock',
    'providerClock',
    'providerIndex',
    'offerNotices',
    'approvals',
    'stateKey',
    'offerQueue',
  ],
  args: [
    'action',
    'spec',
    'caller',
    'wakePrefix',
    'nowIso',
    'session',
    'reason',
    'retentionMs',
    'notice',
    'handoffFields',
    'handoffVersion',
    'bound',
    'nowMs',
    'workloadName',
  ],
  parse: (reply): TransitionResult => {
    const { code, values } = outcome(reply);
    if (code === 'notfound') return { code };
    const [state, hash] = values as [AgreementState, string[] | undefined];
    const record = hash ? parseAgreementRecord(hashOf(hash)) : undefined;
    return { code: code === 'ok' ? 'ok' : 'illegal', state, ...(record ? { record } : {}) };
  },
});

/** What transition.lua is told of each action and of the hand-off, as JSON once (they never change). */
const ACTION_SPECS = Object.fromEntries(
  Object.entries(AGREEMENT_ACTIONS).map(([action, spec]) => [action, JSON.stringify(spec)]),
) as Record<Action, string>;
const HANDOFF_FIELDS_JSON = JSON.stringify(HANDOFF_FIELDS);
/**
 * How a workload property's name starts in the demand's stored JSON. Text inside a value can match too: that only
 * hands compute an agreement it then ignores.
 */
const WORKLOAD_NAME_JSON = JSON.stringify(WORKLOAD_PROPERTY_PREFIX).slice(0, -1);

/** Who an agreement is between (never changes). */
export interface PartyIds {
  requestorId: string;
  providerId: string;
  offerId: string;
  demandId: string;
}

export interface CreateCall {
  caller: string;
  proposalHex: string;
  /** The record's own fields (what the proposals do not give). */
  record: Partial<AgreementRecord> & { id: string; validToMs: number; createdMs: number };
  retentionMs: number;
}

export function runCreate(core: Core, call: CreateCall): Promise<CreateResult> {
  const { keys } = core;
  const { id, validToMs, createdMs } = call.record;
  return core.scripts.call(
    createScript,
    {
      proposal: keys.proposal(call.proposalHex),
      agreement: keys.agreement(id),
      expiring: keys.expiringAgreements(),
      partyIndex: keys.partyAgreements(call.caller),
    },
    {
      caller: call.caller,
      id,
      validToMs,
      nowMs: createdMs,
      retentionMs: call.retentionMs,
      proposalPrefix: keys.proposal(''),
    },
    { args: agreementToHash(call.record) },
  );
}

export interface TransitionCall {
  action: Action;
  /** '' = the system (only for 'read'). */
  caller: string;
  hex: string;
  ids: PartyIds;
  session?: string;
  reason?: Reason | null;
  retentionMs: number;
}

export function runTransition(core: Core, call: TransitionCall): Promise<TransitionResult> {
  const { keys } = core;
  const { action, hex, ids } = call;
  const now = new Date();
  return core.scripts.call(
    transitionScript,
    {
      agreement: keys.agreement(hex),
      expiring: keys.expiringAgreements(),
      requestorLog: keys.agreementEvents(ids.requestorId),
      providerLog: keys.agreementEvents(ids.providerId),
      requestorClock: keys.agreementEventClock(ids.requestorId),
      providerClock: keys.agreementEventClock(ids.providerId),
      providerIndex: keys.partyAgreements(ids.providerId),
      offerNotices: keys.negotiationNotices(ids.offerId),
      approvals: keys.approvedAgreements(),
      stateKey: keys.agreementState(hex),
      offerQueue: keys.negotiationEvents(ids.offerId),
    },
    {
      action,
      spec: ACTION_SPECS[action],
      caller: call.caller,
      wakePrefix: keys.wakeChannelPrefix(),
      nowIso: now.toISOString(),
      session: call.session ?? '',
      reason: call.reason ? JSON.stringify(call.reason) : '',
      retentionMs: call.retentionMs,
      notice: action === 'confirm' ? agreementEventEntry(hex, now) : '',
      handoffFields: HANDOFF_FIELDS_JSON,
      handoffVersion: HANDOFF_VERSION,
      bound: MAX_QUEUED_EVENTS,
      nowMs: now.getTime(),
      workloadName: WORKLOAD_NAME_JSON,
    },
  );
}

import { randomBytes } from 'node:crypto';
import type { Core } from '../../../src/kernel/core';
import { jobProperties, offerProperties, RunnerEnvironment } from '../../../src/compute/workload';
import type { JobSpec } from '../../../src/compute/jobs/record';
import { HANDOFF_VERSION, type ApprovedAgreement } from '../../../src/market/agreements/handoff';

/** A runner environment like the built-in runner's, for offers in fixtures. */
export const TEST_ENVIRONMENT: RunnerEnvironment = {
  cores: 1,
  memoryGiB: 1,
  diskGiB: 1,
  runtimes: ['node', 'sh'],
  commands: ['node', 'sh'],
  maxDurationSeconds: 600,
  maxInputBytes: 1024 * 1024,
  priceCoeffs: [0.0001, 0, 0],
};

export const ECHO_SPEC: JobSpec = {
  runtime: 'sh',
  entrypoint: ['sh', '$ALGO'],
  algorithm: 'cat "$INPUTS/0" > "$OUTPUTS/echo.txt"',
  inputs: ['data:text/plain,hello'],
  maxDurationSeconds: 60,
};

export interface FixtureAgreement {
  requestor: string;
  provider: string;
  demandProperties?: Record<string, unknown>;
  offerProperties?: Record<string, unknown>;
  state?: string;
  validToMs?: number;
}

const handoffs = new Map<string, ApprovedAgreement>();

/**
 * Writes an agreement record (what the market's agreement lookup answers from, for further jobs) and, when it is
 * Approved, appends its hand-off entry to the approvals stream as the approve transition does. Stands in for a real
 * negotiation in the tests that exercise compute alone.
 */
export async function writeAgreement(core: Core, a: FixtureAgreement): Promise<string> {
  const hex = randomBytes(32).toString('hex');
  const validToMs = a.validToMs ?? Date.now() + 3600_000;
  const state = a.state ?? 'Approved';
  await core.redis.hset(core.keys.agreement(hex), {
    id: hex,
    proposalId: randomBytes(32).toString('hex'),
    demandId: randomBytes(16).toString('hex'),
    offerId: randomBytes(16).toString('hex'),
    requestorId: a.requestor,
    providerId: a.provider,
    demandProperties: JSON.stringify(a.demandProperties ?? jobProperties(ECHO_SPEC)),
    demandConstraints: '()',
    offerProperties: JSON.stringify(a.offerProperties ?? offerProperties(TEST_ENVIRONMENT)),
    offerConstraints: '()',
    validTo: new Date(validToMs).toISOString(),
    validToMs: String(validToMs),
    state,
    timestamp: new Date().toISOString(),
    approvedDate: state === 'Approved' ? new Date().toISOString() : '',
  });
  handoffs.set(hex, {
    agreementId: hex,
    requestorId: a.requestor.toLowerCase(),
    providerId: a.provider.toLowerCase(),
    demandProperties: a.demandProperties ?? jobProperties(ECHO_SPEC),
    offerProperties: a.offerProperties ?? offerProperties(TEST_ENVIRONMENT),
    validToMs,
    approvedAtMs: Date.now(),
  });
  if (state === 'Approved') await announceApproval(core, hex);
  return hex;
}

/** The hand-off of a fixture agreement, as the approve transition would write it. */
export function handoffOf(hex: string): ApprovedAgreement {
  const agreement = handoffs.get(hex);
  if (!agreement) throw new Error(`no fixture agreement ${hex}`);
  return agreement;
}

/** Appends the agreement's hand-off entry (the versioned contract of src/market/agreements/handoff.ts). */
export async function announceApproval(core: Core, hex: string): Promise<void> {
  const a = handoffOf(hex);
  await core.redis.xadd(
    core.keys.approvedAgreements(),
    '*',
    ...['v', HANDOFF_VERSION, 'agreementId', a.agreementId, 'requestorId', a.requestorId],
    ...['providerId', a.providerId, 'validToMs', String(a.validToMs), 'approvedAtMs', String(a.approvedAtMs)],
    ...['demandProperties', JSON.stringify(a.demandProperties)],
    ...['offerProperties', JSON.stringify(a.offerProperties)],
  );
}

import { randomBytes } from 'node:crypto';
import type { Core } from '../../../src/kernel/core';
import { jobProperties, offerProperties, RunnerEnvironment } from '../../../src/compute/workload';
import type { JobSpec } from '../../../src/compute/jobs';

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

/**
 * Writes an agreement record following the agreements engineer's contract (keys.agreement(hex)) and, when it is
 * Approved, announces it on the approvals stream as their approve Lua does. Stands in for a real negotiation in
 * the tests that exercise compute alone.
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
  if (state === 'Approved') await announceApproval(core, hex);
  return hex;
}

export async function announceApproval(core: Core, hex: string): Promise<void> {
  await core.redis.xadd(core.keys.approvedAgreements(), '*', 'agreementId', hex);
}

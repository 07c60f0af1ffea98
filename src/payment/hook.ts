import type { Core } from '../kernel/core';
import type { TerminatedAgreement } from '../market/agreements/terminations';
import { Invoicing } from './invoicing';

/**
 * Called once an agreement is terminated: its provider's side issues the final invoice for the time between
 * approval and termination and the CPU seconds its activities' runners reported (0 for a job agreement).
 */
export async function onAgreementTerminated(core: Core, agreement: TerminatedAgreement, cpuSeconds = 0): Promise<void> {
  const durationSeconds = Math.max(0, (agreement.terminatedAtMs - agreement.approvedAtMs) / 1000);
  await new Invoicing(core).issueFinalInvoice(agreement, { durationSeconds, cpuSeconds });
}

import type { Core } from '../kernel/core';
import type { TerminatedAgreement } from '../market/agreements/terminations';
import { Invoicing } from './invoicing';

/**
 * Called once an agreement is terminated: its provider's side issues the final invoice for the time between
 * approval and termination (CPU seconds are not measured yet: 0).
 */
export async function onAgreementTerminated(core: Core, agreement: TerminatedAgreement): Promise<void> {
  const durationSeconds = Math.max(0, (agreement.terminatedAtMs - agreement.approvedAtMs) / 1000);
  await new Invoicing(core).issueFinalInvoice(agreement, { durationSeconds, cpuSeconds: 0 });
}

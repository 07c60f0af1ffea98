import type { Core } from '../kernel/core';
import { Invoicing } from './invoicing';

function parseJson(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? '{}');
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Called once an agreement is terminated: its provider's side issues the final invoice for the time between
 * approval and termination (CPU seconds are not measured yet: 0). Never throws: a failed issuance is logged and
 * does not undo the termination.
 */
export async function onAgreementTerminated(core: Core, agreementId: string): Promise<void> {
  try {
    const a = await core.redis.hgetall(core.keys.agreement(agreementId));
    if (!a.id || !a.approvedDate || !a.terminatedDate) return;
    const approvedAtMs = Date.parse(a.approvedDate);
    const terminatedAtMs = Date.parse(a.terminatedDate);
    await new Invoicing(core).issueFinalInvoice(
      {
        agreementId: a.id,
        requestorId: a.requestorId,
        providerId: a.providerId,
        offerProperties: parseJson(a.offerProperties),
        demandProperties: parseJson(a.demandProperties),
        approvedAtMs,
        terminatedAtMs,
        requestorSession: a.requestorSession,
        providerSession: a.providerSession,
      },
      { durationSeconds: Math.max(0, (terminatedAtMs - approvedAtMs) / 1000), cpuSeconds: 0 },
    );
  } catch (err) {
    core.log.error({ err, agreementId }, 'could not issue the final invoice of a terminated agreement');
  }
}

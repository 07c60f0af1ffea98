/**
 * The hand-off from the market to compute: what compute may know of an approved agreement. The approve transition
 * appends one entry per approval of a demand that declares a workload to the approvals stream
 * (`keys.approvedAgreements()`); compute reads these entries and, for further jobs, asks `AgreementLookup`. Compute
 * never reads the market's agreement record itself. The entry is versioned (field `v`) so either side can change
 * without misreading the other.
 */
export const HANDOFF_VERSION = '1';

/**
 * A demand declares a workload with properties named under this prefix. Only approvals of such demands are handed
 * off: compute has nothing to do with the others, and each entry cost it a read and an acknowledgement.
 */
export const WORKLOAD_PROPERTY_PREFIX = 'bourse.job.';

export interface ApprovedAgreement {
  /** 64 lower-case hex digits, the same for both parties. */
  agreementId: string;
  /** Lower-case 0x addresses. */
  requestorId: string;
  providerId: string;
  /** Flat property maps of the agreed demand and offer. */
  demandProperties: Record<string, unknown>;
  offerProperties: Record<string, unknown>;
  /** End of the agreement's validity, ms since the epoch. */
  validToMs: number;
  approvedAtMs: number;
}

/** Field names of a stream entry, in the order the approve transition writes them. */
export const HANDOFF_FIELDS = [
  'v',
  'agreementId',
  'requestorId',
  'providerId',
  'validToMs',
  'approvedAtMs',
  'demandProperties',
  'offerProperties',
] as const;

function jsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a stream entry's flat field list; undefined for another version or a malformed entry. */
export function decodeHandoff(fields: string[]): ApprovedAgreement | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  if (map.get('v') !== HANDOFF_VERSION) return undefined;
  const agreementId = map.get('agreementId') ?? '';
  const demandProperties = jsonObject(map.get('demandProperties'));
  const offerProperties = jsonObject(map.get('offerProperties'));
  const validToMs = Number(map.get('validToMs'));
  const approvedAtMs = Number(map.get('approvedAtMs'));
  if (!/^[0-9a-f]{64}$/.test(agreementId) || !demandProperties || !offerProperties) return undefined;
  if (!Number.isFinite(validToMs) || !Number.isFinite(approvedAtMs)) return undefined;
  return {
    agreementId,
    requestorId: (map.get('requestorId') ?? '').toLowerCase(),
    providerId: (map.get('providerId') ?? '').toLowerCase(),
    demandProperties,
    offerProperties,
    validToMs,
    approvedAtMs,
  };
}

/** What compute asks the market about an agreement it did not get a hand-off for (further jobs, stops at the end). */
export interface AgreementLookup {
  /** The agreement's compute view and current state, or undefined when there is no such agreement. */
  computeView(agreementId: string): Promise<{ agreement: ApprovedAgreement; state: string } | undefined>;
}

import { createHash } from 'node:crypto';
import type { Core } from '../kernel/core';
import { numberToUnits } from './amounts';
import { DEFAULT_PAYMENT_PLATFORM } from './allocations';
import { DocumentService } from './documents';

/**
 * Final invoices: when an agreement ends, its provider's side invoices the requestor for the agreement's linear
 * price (`golem.com.pricing.model.linear.coeffs`: one coefficient per `golem.com.usage.vector` counter, then the
 * fixed start price) applied to the measured usage. A zero price gives an invoice for 0.
 */

export interface AgreementTerms {
  agreementId: string;
  requestorId: string;
  providerId: string;
  /** The agreement's offer properties (flat `a.b.c` keys or nested objects). */
  offerProperties: Record<string, unknown>;
  /** The agreement's demand properties: they name the chosen payment platform and the payer's address. */
  demandProperties?: Record<string, unknown>;
  approvedAtMs: number;
  terminatedAtMs: number;
  /** Each party's appSessionId on the agreement (events are filtered by it). */
  requestorSession?: string;
  providerSession?: string;
}

export interface Usage {
  durationSeconds: number;
  cpuSeconds: number;
}

/** A property by dotted name, from flat keys or nested objects. */
export function propertyOf(properties: Record<string, unknown>, name: string): unknown {
  if (name in properties) return properties[name];
  let node: unknown = properties;
  for (const part of name.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

const COUNTERS: Record<string, keyof Usage> = {
  'golem.usage.duration_sec': 'durationSeconds',
  'golem.usage.cpu_sec': 'cpuSeconds',
};

/** The usage counters in the order the offer's `golem.com.usage.vector` names them (unknown counters: 0). */
export function usageVector(offerProperties: Record<string, unknown>, usage: Usage): number[] {
  const vector = propertyOf(offerProperties, 'golem.com.usage.vector');
  if (!Array.isArray(vector)) return [usage.durationSeconds, usage.cpuSeconds];
  return vector.map((counter) => {
    const measured = typeof counter === 'string' ? COUNTERS[counter] : undefined;
    return measured === undefined ? 0 : usage[measured];
  });
}

/** The linear price of `usage` under the offer's pricing (0 when the offer states none). */
export function linearPrice(offerProperties: Record<string, unknown>, usage: Usage): number {
  const coeffs = propertyOf(offerProperties, 'golem.com.pricing.model.linear.coeffs');
  const vector = propertyOf(offerProperties, 'golem.com.usage.vector');
  if (!Array.isArray(coeffs) || !Array.isArray(vector) || coeffs.length === 0) return 0;
  const numbers = coeffs.map((c) => (typeof c === 'number' && Number.isFinite(c) && c > 0 ? c : 0));
  let price = numbers[numbers.length - 1];
  usageVector(offerProperties, usage).forEach((counted, i) => {
    if (i < numbers.length - 1) price += numbers[i] * Math.max(0, counted);
  });
  return price;
}

/** A document id derived from what the document is (UUID-shaped, as yagna's), so issuing it twice is harmless. */
function derivedId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The invoice id of an agreement's final invoice: one per agreement. */
export function finalInvoiceId(agreementId: string): string {
  return derivedId(`final-invoice:${agreementId}`);
}

/** The id of an activity's n-th debit note. */
export function debitNoteId(activityId: string, number: number): string {
  return derivedId(`debit-note:${activityId}:${number}`);
}

/** The platform the requestor chose (golem-js states it), else the first it offered an address for. */
function platformOf(demand: Record<string, unknown>): string {
  const chosen = propertyOf(demand, 'golem.com.payment.chosen-platform');
  if (typeof chosen === 'string' && chosen !== '') return chosen;
  const offered = Object.keys(demand).find((k) => /^golem\.com\.payment\.platform\.[^.]+\.address$/.test(k));
  return offered ? offered.split('.')[4] : DEFAULT_PAYMENT_PLATFORM;
}

function addressOn(properties: Record<string, unknown>, platform: string, fallback: string): string {
  const address = propertyOf(properties, `golem.com.payment.platform.${platform}.address`);
  return typeof address === 'string' && address !== '' ? address.toLowerCase() : fallback;
}

export class Invoicing {
  private readonly documents: DocumentService;

  constructor(core: Core) {
    this.documents = new DocumentService(core);
  }

  /** Issues the agreement's final invoice (once; a second call changes nothing). Returns its id. */
  async issueFinalInvoice(terms: AgreementTerms, usage: Usage): Promise<string> {
    const id = finalInvoiceId(terms.agreementId);
    await this.documents.issue({
      ...this.parties(terms),
      kind: 'invoice',
      id,
      activityId: '',
      amountUnits: numberToUnits(linearPrice(terms.offerProperties, usage)),
      paymentDueDate: new Date(terms.terminatedAtMs).toISOString(),
      usageCounterVector: '',
    });
    return id;
  }

  /**
   * Issues an activity's n-th debit note (once): the total due for the activity so far, i.e. the agreement's linear
   * price of its usage until now, with the usage counters (`golem.com.usage.vector` order) beside it. Returns its id.
   */
  async issueDebitNote(
    terms: Omit<AgreementTerms, 'terminatedAtMs'>,
    note: { activityId: string; number: number; usage: Usage; paymentDueMs: number },
  ): Promise<string> {
    const id = debitNoteId(note.activityId, note.number);
    await this.documents.issue({
      ...this.parties(terms),
      kind: 'debitNote',
      id,
      activityId: note.activityId,
      amountUnits: numberToUnits(linearPrice(terms.offerProperties, note.usage)),
      paymentDueDate: new Date(note.paymentDueMs).toISOString(),
      usageCounterVector: JSON.stringify(usageVector(terms.offerProperties, note.usage)),
    });
    return id;
  }

  /** Who issues and receives an agreement's documents, on which platform, to and from which addresses. */
  private parties(terms: Omit<AgreementTerms, 'terminatedAtMs'>) {
    const demand = terms.demandProperties ?? {};
    const platform = platformOf(demand);
    return {
      issuerId: terms.providerId,
      recipientId: terms.requestorId,
      payeeAddr: addressOn(terms.offerProperties, platform, terms.providerId),
      payerAddr: addressOn(demand, platform, terms.requestorId),
      paymentPlatform: platform,
      agreementId: terms.agreementId,
      requestorSession: terms.requestorSession ?? '',
      providerSession: terms.providerSession ?? '',
    };
  }
}

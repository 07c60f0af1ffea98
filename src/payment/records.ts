import type { PaymentApi } from 'ya-ts-client';

type Allocation = PaymentApi.AllocationDTO;
type Invoice = PaymentApi.InvoiceDTO;
type DebitNote = PaymentApi.DebitNoteDTO;
import { fromUnits } from './amounts';

/**
 * Payment records as stored (Redis hashes of text fields) and as rendered on the wire (yagna's Allocation,
 * Invoice and DebitNote). One codec per record: `encode` gives the hash fields, `render` the wire object.
 */

export type DocumentKind = 'invoice' | 'debitNote';
export type DocumentStatus = 'ISSUED' | 'RECEIVED' | 'ACCEPTED' | 'REJECTED' | 'FAILED' | 'SETTLED' | 'CANCELLED';

export interface AllocationRecord {
  allocationId: string;
  /** Lower-case address of the identity that made it; only it sees the allocation. */
  owner: string;
  address: string;
  paymentPlatform: string;
  totalUnits: number;
  spentUnits: number;
  timestamp: string;
  timeout: string;
  makeDeposit: boolean;
}

export const allocationCodec = {
  encode(a: AllocationRecord): Record<string, string> {
    return {
      allocationId: a.allocationId,
      owner: a.owner,
      address: a.address,
      paymentPlatform: a.paymentPlatform,
      totalUnits: String(a.totalUnits),
      spentUnits: String(a.spentUnits),
      timestamp: a.timestamp,
      timeout: a.timeout,
      makeDeposit: a.makeDeposit ? '1' : '0',
    };
  },
  decode(h: Record<string, string>): AllocationRecord | undefined {
    if (!h.allocationId) return undefined;
    return {
      allocationId: h.allocationId,
      owner: h.owner,
      address: h.address,
      paymentPlatform: h.paymentPlatform,
      totalUnits: Number(h.totalUnits),
      spentUnits: Number(h.spentUnits),
      timestamp: h.timestamp,
      timeout: h.timeout,
      makeDeposit: h.makeDeposit === '1',
    };
  },
  render(a: AllocationRecord): Allocation {
    return {
      allocationId: a.allocationId,
      address: a.address,
      paymentPlatform: a.paymentPlatform,
      totalAmount: fromUnits(a.totalUnits),
      spentAmount: fromUnits(a.spentUnits),
      remainingAmount: fromUnits(Math.max(0, a.totalUnits - a.spentUnits)),
      timestamp: a.timestamp,
      ...(a.timeout ? { timeout: a.timeout } : {}),
      makeDeposit: a.makeDeposit,
    };
  },
};

/** An invoice or a debit note: the same ledger entry, rendered with each kind's field names. */
export interface DocumentRecord {
  kind: DocumentKind;
  id: string;
  /** The provider. */
  issuerId: string;
  /** The requestor. */
  recipientId: string;
  payeeAddr: string;
  payerAddr: string;
  paymentPlatform: string;
  timestamp: string;
  agreementId: string;
  /** Debit notes only. */
  activityId: string;
  amountUnits: number;
  paymentDueDate: string;
  status: DocumentStatus;
  /** Each party's appSessionId on the agreement, for filtering its events. */
  requestorSession: string;
  providerSession: string;
  /** Debit notes only: usage counters as JSON. */
  usageCounterVector: string;
}

const TEXT_FIELDS = [
  'kind',
  'id',
  'issuerId',
  'recipientId',
  'payeeAddr',
  'payerAddr',
  'paymentPlatform',
  'timestamp',
  'agreementId',
  'activityId',
  'paymentDueDate',
  'status',
  'requestorSession',
  'providerSession',
  'usageCounterVector',
] as const;

export const documentCodec = {
  encode(d: DocumentRecord): Record<string, string> {
    const fields: Record<string, string> = { amountUnits: String(d.amountUnits) };
    for (const name of TEXT_FIELDS) fields[name] = String(d[name]);
    return fields;
  },
  decode(h: Record<string, string>): DocumentRecord | undefined {
    if (!h.id) return undefined;
    const d = { amountUnits: Number(h.amountUnits) } as DocumentRecord;
    for (const name of TEXT_FIELDS) (d as unknown as Record<string, string>)[name] = h[name] ?? '';
    return d;
  },
  render(d: DocumentRecord): Invoice | DebitNote {
    const common = {
      issuerId: d.issuerId,
      recipientId: d.recipientId,
      payeeAddr: d.payeeAddr,
      payerAddr: d.payerAddr,
      paymentPlatform: d.paymentPlatform,
      timestamp: d.timestamp,
      agreementId: d.agreementId,
      paymentDueDate: d.paymentDueDate,
      status: d.status,
    };
    if (d.kind === 'invoice') {
      return { invoiceId: d.id, ...common, activityIds: [], amount: fromUnits(d.amountUnits) };
    }
    return {
      debitNoteId: d.id,
      ...common,
      activityId: d.activityId,
      totalAmountDue: fromUnits(d.amountUnits),
      usageCounterVector: d.usageCounterVector ? (JSON.parse(d.usageCounterVector) as Record<string, unknown>) : {},
    };
  },
};

/** Wire names per kind: the id field and the event type prefix. */
export const KIND = {
  invoice: { idField: 'invoiceId', event: 'Invoice', label: 'Invoice' },
  debitNote: { idField: 'debitNoteId', event: 'DebitNote', label: 'Debit note' },
} as const;

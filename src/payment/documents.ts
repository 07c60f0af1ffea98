import path from 'node:path';
import type { Core } from '../kernel/core';
import { Conflict, Gone, Invalid, NotFound } from '../kernel/errors';
import { defineScript, outcome } from '../store/scripts';
import type { Acceptance, Rejection } from '../types/schemas';
import { fromUnits, toUnits } from './amounts';
import { documentCodec, KIND, type DocumentKind, type DocumentRecord } from './records';

/**
 * Invoices and debit notes: documents a provider issues to a requestor for an agreement. Both parties may read a
 * document; only its recipient accepts or rejects it, once, from RECEIVED (delivery is immediate in Bourse, so an
 * issued document is RECEIVED at once). Acceptance books the amount on an allocation: Bourse settles nothing on
 * chain, so ACCEPTED is the final state of a payment. Anyone else asking about a document gets 404.
 */

const issueScript = defineScript({
  name: 'paymentDocument.issue',
  file: path.join(__dirname, 'lua', 'document_issue.lua'),
  keys: ['document', 'recipientLog', 'recipientClock', 'recipientIndex', 'issuerIndex'],
  args: ['wakePrefix', 'nowUs', 'retentionMs', 'event', 'session', 'id', 'createdMs'],
  parse: (reply) => outcome(reply).code,
});

const settleScript = defineScript({
  name: 'paymentDocument.settle',
  file: path.join(__dirname, 'lua', 'document_settle.lua'),
  keys: ['document', 'allocation', 'issuerLog', 'issuerClock', 'booked'],
  args: ['action', 'caller', 'units', 'allocationId', 'wakePrefix', 'nowUs', 'retentionMs', 'event', 'rejection'],
  parse: outcome,
});

const ID = /^[0-9A-Za-z-]{1,64}$/;

/** What the issuer states; the status, timestamp and events are the ledger's. */
export type DocumentDraft = Omit<DocumentRecord, 'status' | 'timestamp'>;

export class DocumentService {
  constructor(private readonly core: Core) {}

  private get retentionMs(): number {
    return this.core.config.agreementRetentionSeconds * 1000;
  }

  /** Records a document and tells its recipient; false when a document with this id already exists. */
  async issue(draft: DocumentDraft): Promise<boolean> {
    const { keys } = this.core;
    const now = Date.now();
    const record: DocumentRecord = { ...draft, status: 'RECEIVED', timestamp: new Date(now).toISOString() };
    const { idField, event } = KIND[draft.kind];
    const fields = Object.entries(documentCodec.encode(record)).flat();
    const code = await this.core.scripts.call(
      issueScript,
      {
        document: keys.paymentDocument(draft.kind, draft.id),
        recipientLog: keys.paymentEvents(draft.kind, draft.recipientId),
        recipientClock: keys.paymentEventClock(draft.kind, draft.recipientId),
        recipientIndex: keys.partyDocuments(draft.kind, draft.recipientId),
        issuerIndex: keys.partyDocuments(draft.kind, draft.issuerId),
      },
      {
        wakePrefix: keys.wakeChannelPrefix(),
        nowUs: now * 1000,
        retentionMs: this.retentionMs,
        event: JSON.stringify({ eventType: `${event}ReceivedEvent`, [idField]: draft.id }),
        session: draft.requestorSession,
        id: draft.id,
        createdMs: now,
      },
      { args: fields },
    );
    return code === 'ok';
  }

  /** A document the caller issued or received (404 otherwise). */
  async get(kind: DocumentKind, caller: string, id: string): Promise<ReturnType<typeof documentCodec.render>> {
    const record = ID.test(id) ? await this.load(kind, id) : undefined;
    if (!record || (record.issuerId !== caller && record.recipientId !== caller)) throw this.notFound(kind, id);
    return documentCodec.render(record);
  }

  /** The caller's documents (issued or received), oldest first. */
  async list(kind: DocumentKind, caller: string): Promise<ReturnType<typeof documentCodec.render>[]> {
    const ids = await this.core.redis.zrange(this.core.keys.partyDocuments(kind, caller), '0', '-1');
    const records = await Promise.all(ids.map((id) => this.load(kind, id)));
    return records
      .filter((r): r is DocumentRecord => r !== undefined && (r.issuerId === caller || r.recipientId === caller))
      .map((r) => documentCodec.render(r));
  }

  /** The recipient accepts the full amount, booked on one of its allocations of the document's platform. */
  async accept(kind: DocumentKind, caller: string, id: string, acceptance: Acceptance): Promise<void> {
    const units = toUnits(acceptance.totalAmountAccepted, 'totalAmountAccepted');
    if (!ID.test(acceptance.allocationId)) throw new Invalid(`Allocation [${acceptance.allocationId}] not found.`);
    await this.settle(kind, caller, id, 'accept', {
      units,
      allocationId: acceptance.allocationId,
      event: { eventType: `${KIND[kind].event}AcceptedEvent`, [KIND[kind].idField]: id },
    });
  }

  async reject(kind: DocumentKind, caller: string, id: string, rejection: Rejection): Promise<void> {
    toUnits(rejection.totalAmountAccepted, 'totalAmountAccepted');
    await this.settle(kind, caller, id, 'reject', {
      units: 0,
      allocationId: '',
      event: { eventType: `${KIND[kind].event}RejectedEvent`, [KIND[kind].idField]: id, rejection },
      rejection,
    });
  }

  private async settle(
    kind: DocumentKind,
    caller: string,
    id: string,
    action: 'accept' | 'reject',
    options: { units: number; allocationId: string; event: object; rejection?: Rejection },
  ): Promise<void> {
    if (!ID.test(id)) throw this.notFound(kind, id);
    const { keys } = this.core;
    const [issuer, agreementId] = await this.core.redis.hmget(
      keys.paymentDocument(kind, id),
      'issuerId',
      'agreementId',
    );
    if (issuer === null) throw this.notFound(kind, id);
    const { code, values } = await this.core.scripts.call(
      settleScript,
      {
        document: keys.paymentDocument(kind, id),
        allocation: keys.allocation(options.allocationId || '-'),
        issuerLog: keys.paymentEvents(kind, issuer),
        issuerClock: keys.paymentEventClock(kind, issuer),
        booked: keys.paymentBooked(agreementId ?? ''),
      },
      {
        action,
        caller,
        units: options.units,
        allocationId: options.allocationId,
        wakePrefix: keys.wakeChannelPrefix(),
        nowUs: Date.now() * 1000,
        retentionMs: this.retentionMs,
        event: JSON.stringify(options.event),
        rejection: options.rejection ? JSON.stringify(options.rejection) : '',
      },
    );
    const label = `${KIND[kind].label} [${id}]`;
    if (code === 'ok') return;
    if (code === 'notfound') throw this.notFound(kind, id);
    if (code === 'illegal') throw new Gone(`${label} is already ${String(values[0])}.`);
    if (code === 'amount')
      throw new Invalid(`Invalid totalAmountAccepted: the ${label} is for ${fromUnits(Number(values[0]))}`);
    if (code === 'noallocation') throw new Invalid(`Allocation [${options.allocationId}] not found.`);
    if (code === 'platform') throw new Invalid(`Allocation [${options.allocationId}] is for another payment platform.`);
    if (code === 'funds') {
      throw new Conflict(
        `Allocation [${options.allocationId}] has ${fromUnits(Number(values[0]))} left, not enough for the ${label}.`,
      );
    }
    throw new Error(`paymentDocument.settle: unexpected reply ${code}`);
  }

  private async load(kind: DocumentKind, id: string): Promise<DocumentRecord | undefined> {
    return documentCodec.decode(await this.core.redis.hgetall(this.core.keys.paymentDocument(kind, id)));
  }

  private notFound(kind: DocumentKind, id: string): NotFound {
    return new NotFound(`${KIND[kind].label} [${id}] not found.`);
  }
}

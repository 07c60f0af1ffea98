import type { Core, Lifecycle } from '../kernel/core';
import { Periodic } from '../kernel/loops';
import { Invoicing, linearPrice, propertyOf, type AgreementTerms } from './invoicing';

/**
 * Debit notes while an activity runs. A priced activity (its agreement's linear price is not zero) gets a debit note
 * every interval until it ends: the total due for the activity so far (the linear price of its duration since
 * creation and the CPU seconds its runner reported), as yagna's providers send them. The agreement's final invoice
 * still comes at its end and covers everything: the ledger books an invoice or a newer debit note only beyond what
 * earlier acceptances of the agreement booked (document_settle.lua).
 *
 * The interval is the offer's `golem.com.scheme.payu.debit-note.interval-sec?` when the runner states one, else the
 * demand's (golem-js states 120 s unless `payment.midAgreementDebitNoteIntervalSec` says otherwise), else 120 s;
 * never below 1 s. The schedule lives with the activities (activity/lua/debit_notes_due.lua): every API instance
 * sweeps it, and claiming a due note is atomic, so each note is issued once. A note claimed by an instance that died
 * before issuing it is skipped, which loses nothing: the next note states the total again.
 */

export const DEBIT_NOTE_INTERVAL = 'golem.com.scheme.payu.debit-note.interval-sec?';
const PAYMENT_TIMEOUT = 'golem.com.scheme.payu.payment-timeout-sec?';
export const DEFAULT_DEBIT_NOTE_INTERVAL_SECONDS = 120;
const MIN_DEBIT_NOTE_INTERVAL_SECONDS = 1;
const MAX_NOTES_PER_SWEEP = 100;

type Properties = Record<string, unknown>;

function secondsOf(properties: Properties, name: string): number | undefined {
  const value = Number(propertyOf(properties, name));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** How often an activity under these terms gets a debit note, ms; 0 when its price is zero (nothing to note). */
export function debitNoteIntervalMs(terms: { offerProperties: Properties; demandProperties: Properties }): number {
  if (linearPrice(terms.offerProperties, { durationSeconds: 1, cpuSeconds: 1 }) <= 0) return 0;
  const seconds =
    secondsOf(terms.offerProperties, DEBIT_NOTE_INTERVAL) ??
    secondsOf(terms.demandProperties, DEBIT_NOTE_INTERVAL) ??
    DEFAULT_DEBIT_NOTE_INTERVAL_SECONDS;
  return Math.round(Math.max(MIN_DEBIT_NOTE_INTERVAL_SECONDS, seconds) * 1000);
}

/** A debit note the activity domain handed over for issuing (claimed, so no other instance issues it). */
export interface DueDebitNote {
  activityId: string;
  agreementId: string;
  number: number;
  createdMs: number;
  cpuMs: number;
}

export interface DebitNoteSources {
  /** Claims the debit notes due at `nowMs` (at most `limit`). */
  claimDue(nowMs: number, limit: number): Promise<DueDebitNote[]>;
  /** The agreement's terms and parties' sessions, undefined when it was never approved. */
  terms(agreementId: string): Promise<Omit<AgreementTerms, 'terminatedAtMs'> | undefined>;
}

/** The sweeper issuing due debit notes; a Lifecycle of every API instance. */
export class DebitNoting implements Lifecycle {
  private readonly loop: Periodic;
  private readonly invoicing: Invoicing;

  constructor(
    core: Core,
    private readonly sources: DebitNoteSources,
  ) {
    this.invoicing = new Invoicing(core);
    this.loop = new Periodic('debit notes', core.config.jobWatchdogMs, async () => void (await this.sweep()), core.log);
  }

  async start(): Promise<void> {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Issues every debit note due now; returns their ids. */
  async sweep(nowMs = Date.now()): Promise<string[]> {
    const issued: string[] = [];
    for (const note of await this.sources.claimDue(nowMs, MAX_NOTES_PER_SWEEP)) {
      const terms = await this.sources.terms(note.agreementId);
      if (!terms) continue;
      const usage = { durationSeconds: Math.max(0, nowMs - note.createdMs) / 1000, cpuSeconds: note.cpuMs / 1000 };
      // Due the agreed payment timeout after issuing (golem-js states 12 h); without one, by the next note.
      const timeoutMs =
        (secondsOf(terms.demandProperties ?? {}, PAYMENT_TIMEOUT) ?? 0) * 1000 ||
        debitNoteIntervalMs({ offerProperties: terms.offerProperties, demandProperties: terms.demandProperties ?? {} });
      issued.push(
        await this.invoicing.issueDebitNote(terms, {
          activityId: note.activityId,
          number: note.number,
          usage,
          paymentDueMs: nowMs + timeoutMs,
        }),
      );
    }
    return issued;
  }
}

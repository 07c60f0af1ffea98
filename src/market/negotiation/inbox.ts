import { randomHex } from '../../kernel/randomHex';
import path from 'node:path';
import type { Core, Lifecycle } from '../../kernel/core';
import { NotFound } from '../../kernel/errors';
import { defineScript, hashOf, outcome } from '../../store/scripts';
import { renderProposalId, roleOfKind, type Role } from '../ids';
import { DEFAULT_NEGOTIATION_LEASE_MS, MARKET_RETENTION_MS } from '../limits';
import type { SubscriptionKind } from '../subscriptions/record';
import { Acknowledgements } from './acknowledgements';
import type { SeenProposals } from './seenProposals';
import { parseProposalRecord, renderProposal, visibleTo, type NegotiationEntry } from './proposal';

interface Taken {
  status: 'ok';
  notices: NegotiationEntry[];
  proposals: NegotiationEntry[];
  nextLeaseMs: number;
  expiresAt: number;
  /** Proposal hex → its record's hash, read by the take itself (for every proposal event it delivers). */
  records: Map<string, Record<string, string>>;
}

type Take = Taken | { status: string };

const collectScript = defineScript({
  name: 'negotiation.collect',
  file: path.join(__dirname, 'lua', 'collect.lua'),
  keys: ['subscription', 'notices', 'queue', 'inflight'],
  args: ['max', 'now', 'leaseMs', 'deliveryId', 'retentionMs', 'caller', 'kind', 'proposalPrefix'],
  parse: (reply): Take => {
    const { code, values } = outcome(reply);
    if (code !== 'ok') return { status: code };
    const [notices, proposals, nextLeaseMs, expiresAt, hashes] = values as [
      string[],
      string[],
      string,
      string,
      string[][],
    ];
    const entry = (text: string): NegotiationEntry => JSON.parse(text) as NegotiationEntry;
    const records = new Map<string, Record<string, string>>();
    const proposalEntries = proposals.map(entry);
    proposalEntries.forEach(({ proposalId }, i) => {
      if (proposalId !== undefined) records.set(proposalId, hashOf(hashes[i]));
    });
    const times = { nextLeaseMs: Number(nextLeaseMs), expiresAt: Number(expiresAt) };
    return { status: 'ok', notices: notices.map(entry), proposals: proposalEntries, ...times, records };
  },
});

const settleScript = defineScript({
  name: 'negotiation.settle',
  file: path.join(__dirname, 'lua', 'settle.lua'),
  keys: ['inflight', 'notices', 'queue'],
  args: ['deliveryId', 'queueChannel'],
  parse: (reply) => outcome(reply).code,
});

/**
 * Renders an agreement at collection time for the collecting party, `viewer` = its address (the subscription's owner);
 * undefined drops the event (the agreement is gone or not visible to that party).
 */
export type AgreementRenderer = (agreementId: string, viewer: string) => Promise<object | undefined>;

/**
 * What one collect returns: the events, and how its delivery ends. The caller reports whether the response was
 * written out (`settle(true)`) or the client went away first (`settle(false)`: the events are delivered again).
 */
export interface Collected {
  events: object[];
  settle(written: boolean): Promise<void>;
}

export function subscriptionGone(id: string): NotFound {
  return new NotFound(`Subscription [${id}] not found. Could be unsubscribed.`);
}

function expiredError(id: string): NotFound {
  return new NotFound(`Subscription [${id}] expired.`);
}

const nothingToSettle = async (): Promise<void> => undefined;

/** What one collect waits for: the caller's subscription of `kind`, up to `maxEvents` events, until `deadline`. */
interface PollSpec {
  id: string;
  kind: SubscriptionKind;
  viewer: Role;
  caller: string;
  maxEvents: number;
  deadline: number;
}

/**
 * Negotiation event queues of each subscription, delivered at least once. Each subscription has two Redis lists of
 * JSON entries: `negotiationEvents` (ProposalEvent) and `negotiationNotices` (ProposalRejectedEvent, AgreementEvent),
 * both woken through `wakeChannel(negotiationEvents(id))`, and a hash of deliveries not yet acknowledged (see
 * collect.lua). Entries name the artifact; it is rendered when collected, so the client sees its current state, and
 * an event whose artifact is gone is dropped.
 */
export class Inbox implements Lifecycle {
  private readonly acknowledgements: Acknowledgements;

  constructor(
    private readonly core: Core,
    private readonly seen: SeenProposals,
    private readonly renderAgreement: AgreementRenderer,
  ) {
    this.acknowledgements = new Acknowledgements(core, this.leaseMs);
  }

  /** Sends the acknowledgements still gathered (before the connections close). */
  stop(): Promise<void> {
    return this.acknowledgements.stop();
  }

  private get leaseMs(): number {
    return this.core.config.negotiationLeaseMs ?? DEFAULT_NEGOTIATION_LEASE_MS;
  }

  /**
   * collectOffers / collectDemands: up to `maxEvents` events of the caller's subscription, waiting up to `timeoutMs`
   * (already capped) for the first. Returns [] on timeout; 404 when the subscription is not the caller's, or is
   * unsubscribed or expires, also while waiting.
   */
  async collect(
    kind: SubscriptionKind,
    id: string,
    caller: string,
    timeoutMs: number,
    maxEvents: number,
    signal?: AbortSignal,
  ): Promise<Collected> {
    // Ownership, kind and expiry are checked by every take (collect.lua), not read beforehand.
    const poll = { id, kind, viewer: roleOfKind(kind), caller, maxEvents, deadline: Date.now() + timeoutMs };
    let expiresAt = Infinity;
    for (;;) {
      const round = await this.pollOnce(poll, signal);
      if (round.collected) return round.collected;
      expiresAt = round.expiresAt;
      if (!round.woken || signal?.aborted || Date.now() >= poll.deadline) break;
    }
    if (Date.now() >= expiresAt && !signal?.aborted) throw expiredError(id);
    return { events: [], settle: nothingToSettle };
  }

  /**
   * One long-poll until the deadline. A delivery still out (its instance may have died) comes back when its lease
   * ends, and a subscription expires, both without waking anyone: the poll then ends at that moment (`woken`), so
   * the caller looks again (and a look after the expiry is a 404).
   */
  private async pollOnce(
    poll: PollSpec,
    signal: AbortSignal | undefined,
  ): Promise<{ collected?: Collected; woken: boolean; expiresAt: number }> {
    const wake = new AbortController();
    this.core.waiter.inheritGuard(signal, wake.signal); // a revoked token still ends this poll
    const forward = (): void => wake.abort();
    signal?.addEventListener('abort', forward, { once: true });
    if (signal?.aborted) wake.abort();
    let timer: NodeJS.Timeout | undefined;
    let woken = false;
    let expiresAt = Infinity;
    const read = async (): Promise<Collected | undefined> => {
      const taken = await this.take(poll);
      expiresAt = taken.expiresAt;
      const wakeAt = Math.min(taken.nextLeaseMs > 0 ? taken.nextLeaseMs : Infinity, taken.expiresAt);
      if (!taken.collected && wakeAt < poll.deadline && !timer) {
        timer = setTimeout(
          () => {
            woken = true;
            wake.abort();
          },
          Math.max(0, wakeAt - Date.now()) + 1,
        );
      }
      return taken.collected;
    };
    try {
      const collected = await this.core.waiter.poll(
        [this.core.keys.negotiationEvents(poll.id)],
        Math.max(0, poll.deadline - Date.now()),
        wake.signal,
        read,
      );
      return { collected, woken, expiresAt };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }

  /** One atomic take from the queues, rendered; no `collected` when nothing (renderable) was there. */
  private async take(poll: PollSpec): Promise<{ collected?: Collected; nextLeaseMs: number; expiresAt: number }> {
    const { keys } = this.core;
    const { id, viewer, caller, maxEvents } = poll;
    const deliveryId = randomHex(8);
    const acknowledged = this.acknowledgements.take(id);
    const taken = await this.core.scripts
      .call(
        collectScript,
        {
          subscription: keys.subscription(id),
          notices: keys.negotiationNotices(id),
          queue: keys.negotiationEvents(id),
          inflight: keys.negotiationInflight(id),
        },
        {
          max: maxEvents,
          now: Date.now(),
          leaseMs: this.leaseMs,
          deliveryId,
          retentionMs: MARKET_RETENTION_MS,
          caller,
          kind: poll.kind,
          proposalPrefix: keys.proposal(''),
        },
        { args: acknowledged },
      )
      .catch((err: unknown) => {
        this.acknowledgements.giveBack(id, acknowledged);
        throw err;
      });
    if (taken.status === 'expired') throw expiredError(id);
    if (!('notices' in taken)) throw subscriptionGone(id);
    const { notices, proposals, nextLeaseMs, expiresAt, records } = taken as Taken;
    if (notices.length + proposals.length === 0) return { nextLeaseMs, expiresAt };
    const settle = (written: boolean): Promise<void> => this.settle(id, deliveryId, written);
    // Proposal events come in random order, so older offers get no advantage (yagna).
    const entries = [...notices, ...shuffle(proposals)];
    const events = (await this.render(entries, records, viewer, caller)).filter((e): e is object => e !== undefined);
    if (events.length > 0) return { collected: { events, settle }, nextLeaseMs, expiresAt };
    await settle(true); // only events of artifacts that are gone: nothing to deliver, ever
    return { nextLeaseMs, expiresAt };
  }

  /** A written delivery is acknowledged soon, without a round trip of its own; one not written is given back now. */
  private async settle(id: string, deliveryId: string, written: boolean): Promise<void> {
    if (written) return this.acknowledgements.add(id, deliveryId);
    const { keys } = this.core;
    await this.core.scripts.call(
      settleScript,
      {
        inflight: keys.negotiationInflight(id),
        notices: keys.negotiationNotices(id),
        queue: keys.negotiationEvents(id),
      },
      { deliveryId, queueChannel: keys.wakeChannel(keys.negotiationEvents(id)) },
    );
  }

  /**
   * The events of `entries` for `viewer`; `records` holds the proposal of every proposal event (collect.lua read them;
   * the notices queue holds only rejections and agreement events).
   */
  private async render(
    entries: NegotiationEntry[],
    records: Map<string, Record<string, string>>,
    viewer: Role,
    owner: string,
  ): Promise<Array<object | undefined>> {
    return Promise.all(
      entries.map(async (entry) => {
        const { eventType, eventDate, eventId } = entry;
        switch (eventType) {
          case 'ProposalEvent': {
            const record = parseProposalRecord(records.get(entry.proposalId as string) ?? {});
            if (!record || !visibleTo(record, viewer)) return undefined;
            this.seen.remember(record, owner);
            return { eventType, eventDate, proposal: renderProposal(record, viewer), eventId };
          }
          case 'ProposalRejectedEvent': {
            const proposalId = renderProposalId(entry.proposalId as string, viewer);
            return { eventType, eventDate, proposalId, ...(entry.reason ? { reason: entry.reason } : {}), eventId };
          }
          case 'AgreementEvent': {
            const agreement = await this.renderAgreement(entry.agreementId as string, owner);
            return agreement ? { eventType, eventDate, agreement, eventId } : undefined;
          }
          default:
            return undefined;
        }
      }),
    );
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

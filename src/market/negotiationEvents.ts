import type { Core } from '../kernel/core';
import { NotFound } from '../kernel/errors';
import { renderProposalId, type Role } from './ids';
import { parseProposalRecord, renderProposal, visibleTo } from './proposals';
import type { SubscriptionKind, Subscriptions } from './subscriptions';

/**
 * Negotiation event queues (golem-market-api.md §3.1, §4.3). Each subscription has two Redis lists of JSON entries:
 * `negotiationEvents` (ProposalEvent) and `negotiationNotices` (ProposalRejectedEvent, AgreementEvent), both woken
 * through `wakeChannel(negotiationEvents(id))`. Entries name the artifact; it is rendered when collected, so the
 * client sees its current state, and an event whose artifact is gone is dropped.
 */
export interface NegotiationEntry {
  eventType: 'ProposalEvent' | 'ProposalRejectedEvent' | 'AgreementEvent';
  eventDate: string;
  proposalId?: string;
  agreementId?: string;
  reason?: Record<string, unknown>;
}

export function proposalEventEntry(hex: string, date: Date): string {
  return JSON.stringify({
    eventType: 'ProposalEvent',
    eventDate: date.toISOString(),
    proposalId: hex,
  } satisfies NegotiationEntry);
}

export function rejectedEventEntry(hex: string, date: Date, reason: Record<string, unknown> | null): string {
  const entry: NegotiationEntry = {
    eventType: 'ProposalRejectedEvent',
    eventDate: date.toISOString(),
    proposalId: hex,
  };
  if (reason) entry.reason = reason;
  return JSON.stringify(entry);
}

/**
 * Renders an agreement at collection time for the collecting party, `viewer` = its address (the subscription's owner);
 * undefined drops the event (the agreement is gone or not visible to that party).
 */
export type AgreementRenderer = (agreementId: string, viewer: string) => Promise<object | undefined>;

export function viewerOf(kind: SubscriptionKind): Role {
  return kind === 'demand' ? 'requestor' : 'provider';
}

export function subscriptionGone(id: string): NotFound {
  return new NotFound(`Subscription [${id}] not found. Could be unsubscribed.`);
}

function expiredError(id: string): NotFound {
  return new NotFound(`Subscription [${id}] expired.`);
}

type CollectStatus = ['ok', string[], string[]] | ['missing' | 'unsubscribed' | 'expired'];

export class NegotiationEvents {
  private agreementRenderer: AgreementRenderer | undefined;

  constructor(
    private readonly core: Core,
    private readonly subscriptions: Subscriptions,
  ) {}

  setAgreementRenderer(renderer: AgreementRenderer): void {
    this.agreementRenderer = renderer;
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
  ): Promise<object[]> {
    const { keys, waiter } = this.core;
    const record = await this.subscriptions.get(id);
    if (!record || record.owner !== caller || record.kind !== kind) throw subscriptionGone(id);
    const viewer = viewerOf(kind);
    const untilExpiry = record.expiresAt - Date.now();
    // Wake at the expiry at the latest, so a waiting collect ends with 404 when its subscription expires.
    const events = await waiter.poll([keys.negotiationEvents(id)], Math.min(timeoutMs, untilExpiry), signal, () =>
      this.take(id, viewer, caller, maxEvents),
    );
    if (events) return events;
    if (Date.now() >= record.expiresAt && !signal?.aborted) throw expiredError(id);
    return [];
  }

  /** One atomic take from the queues, rendered; undefined when nothing (renderable) was there. */
  private async take(id: string, viewer: Role, owner: string, maxEvents: number): Promise<object[] | undefined> {
    const { keys } = this.core;
    const status = await this.core.scripts.run<CollectStatus>(
      'negotiation_collect',
      [keys.subscription(id), keys.negotiationNotices(id), keys.negotiationEvents(id)],
      [maxEvents, Date.now()],
    );
    if (status[0] === 'expired') throw expiredError(id);
    if (status[0] !== 'ok') throw subscriptionGone(id);
    const [, notices, proposals] = status;
    if (notices.length + proposals.length === 0) return undefined;
    // Proposal events come in random order, so older offers get no advantage (yagna).
    const entries = [...notices, ...shuffle(proposals)].map((text) => JSON.parse(text) as NegotiationEntry);
    const rendered = (await this.render(entries, viewer, owner)).filter((e): e is object => e !== undefined);
    return rendered.length > 0 ? rendered : undefined;
  }

  private async render(entries: NegotiationEntry[], viewer: Role, owner: string): Promise<Array<object | undefined>> {
    const proposalHexes = entries.filter((e) => e.eventType === 'ProposalEvent').map((e) => e.proposalId as string);
    const records = new Map<string, Record<string, string>>();
    if (proposalHexes.length > 0) {
      const pipeline = this.core.redis.pipeline();
      for (const hex of proposalHexes) pipeline.hgetall(this.core.keys.proposal(hex));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([err, hash], i) => {
        if (err) throw err;
        records.set(proposalHexes[i], hash as Record<string, string>);
      });
    }
    return Promise.all(
      entries.map(async (entry) => {
        switch (entry.eventType) {
          case 'ProposalEvent': {
            const record = parseProposalRecord(records.get(entry.proposalId as string) ?? {});
            if (!record || !visibleTo(record, viewer)) return undefined;
            return { eventType: entry.eventType, eventDate: entry.eventDate, proposal: renderProposal(record, viewer) };
          }
          case 'ProposalRejectedEvent': {
            const event: Record<string, unknown> = {
              eventType: entry.eventType,
              eventDate: entry.eventDate,
              proposalId: renderProposalId(entry.proposalId as string, viewer),
            };
            if (entry.reason) event.reason = entry.reason;
            return event;
          }
          case 'AgreementEvent': {
            const agreement = await this.agreementRenderer?.(entry.agreementId as string, owner);
            return agreement ? { eventType: entry.eventType, eventDate: entry.eventDate, agreement } : undefined;
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

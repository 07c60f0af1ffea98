import type Redis from 'ioredis';
import type { Core, Lifecycle } from '../../kernel/core';
import { sleep, StreamReader } from '../../kernel/loops';
import { Scripts } from '../../store/scripts';
import { Membership, parseMembers } from './membership';
import { isLive, parseStreamEntry, type SubscriptionKind, type SubscriptionRecord } from './record';
import { Rendezvous } from './rendezvous';
import { ProposalWriter, type InitialProposals } from './proposalWriter';
import { compareStreamIds, Shard } from './shard';
import type { Subscriptions } from './service';

/**
 * Builds the proposal writer on the matcher's own Redis connection: a demand with many matches is written in many
 * calls, and the collect they wake (on the shared command connection) must not queue behind them.
 */
export type InitialProposalsOn = (core: Core) => InitialProposals;

type StreamPage = Array<[string, string[]]>;

/** Entries read from the stream per round trip. */
const READ_BATCH = 500;
const READ_BLOCK_MS = 1000;
/** Pairs queued for writing beyond which the matcher waits before reading on. */
const MAX_BACKLOG = 20_000;
/** How long a graceful stop waits for queued writes (what is left is replayed by the others). */
const DRAIN_MS = 1000;

/**
 * Pairs demands and offers, sharded across the API instances. Every instance reads the whole subscription stream, but
 * indexes only the subscriptions it owns (rendezvous hashing of the id over the members of the current view), and
 * matches each new subscription against that shard: a pair is considered by the owner of its earlier member when
 * the later one is read, so by one instance. The Initial proposal's id is derived from the pair, so a pair matched
 * twice (while a shard moves) still exists once.
 *
 * Why no pair falls between two views: membership changes are view entries in the same stream (membership.ts), so
 * every instance switches views at the same position and agrees on the owner of every pair there. A joining member
 * indexes what it owns before it reads past its entry, and the old owners drop it only when they read that entry
 * (their matches before it stand). A departed member matched nothing after its recorded progress: its entry carries
 * that position, and each remaining member replays the stream from there to the entry against its shard after
 * taking over (a member that dies before finishing that replay hands the same start on, see matcherDepart.lua).
 * A new owner loads what it gained from the active sets after the entry: a subscription that ended in between is not
 * loaded, but its pairs could not be created any more anyway (initial.lua refuses an inactive subscription).
 */
export class Matcher implements Lifecycle {
  private readonly shard: Shard;
  private readonly membership: Membership;
  private readonly reader: StreamReader;
  private view = new Rendezvous([]);
  private writer: ProposalWriter | undefined;
  private writerConnection: Redis | undefined;
  /** Writes queued while handling the current batch; `matched` moves past the batch when they are done. */
  private pending: Array<Promise<void>> = [];
  private committed: Promise<void> = Promise.resolve();
  /** Stream position through which this instance has read. */
  private cursor = '0-0';
  /** Stream position through which every pair this instance found is written (its progress in the membership). */
  private matched = '0-0';
  /** Set when a view entry no longer lists this instance (it was departed for missing heartbeats). */
  private departed = false;

  constructor(
    private readonly core: Core,
    private readonly subscriptions: Subscriptions,
    private readonly proposalsOn: InitialProposalsOn,
  ) {
    this.shard = new Shard(core.log);
    this.membership = new Membership(core, () => this.matched);
    this.reader = new StreamReader('matcher', core.redis, (connection) => this.step(connection), core.log);
  }

  /** How many subscriptions this instance owns (its shard). */
  get size(): number {
    return this.shard.size;
  }

  /** How many subscriptions of one kind this instance owns. */
  sizeOf(kind: SubscriptionKind): number {
    return this.shard.count(kind);
  }

  /** This instance's name among the matchers. */
  get memberId(): string {
    return this.membership.id;
  }

  /** Builds the shard it expects to own before announcing itself, so the others hand it over without a gap. */
  async start(): Promise<void> {
    const connection = this.core.redis.duplicate({ lazyConnect: true, connectionName: 'bourse-matcher-writer' });
    connection.on('error', () => undefined); // the writer reports failed writes
    await connection.connect();
    this.writerConnection = connection;
    const proposals = this.proposalsOn({ ...this.core, redis: connection, scripts: new Scripts(connection) });
    this.writer = new ProposalWriter(proposals, this.core.log);
    const expected = new Set([...(await this.membership.liveMembers()), this.memberId]);
    await this.loadOwned(new Rendezvous([...expected]));
    await this.join();
    await this.reader.start();
  }

  /** Stops matching and leaves at once, so the others take the shard over without waiting for missed heartbeats. */
  async stop(): Promise<void> {
    await this.reader.stop();
    await Promise.race([this.committed, sleep(DRAIN_MS)]);
    this.writer?.stop();
    await this.membership.stop();
    this.writerConnection?.disconnect();
  }

  /** By kind: how evenly the offers (or demands) are shared is what an operator compares across instances. */
  private reportShard(): void {
    for (const kind of ['demand', 'offer'] as const)
      this.core.metrics.matcherShard.set({ kind }, this.shard.count(kind));
  }

  private async join(): Promise<void> {
    const joined = await this.membership.join();
    this.departed = false;
    await this.applyView(joined.view, joined.members, joined.from);
    this.cursor = joined.view;
    this.commit(joined.view);
    this.reportShard();
    this.core.log.info({ member: this.memberId, members: joined.members.length, shard: this.size }, 'matcher joined');
  }

  /**
   * One blocking read of the stream. The read cursor advances once the batch is handled (else it is re-read); the
   * matched position once its writes are done.
   */
  private async step(connection: Redis): Promise<void> {
    if (this.writer!.backlog > MAX_BACKLOG) await this.committed;
    const reply = (await connection.xread(
      'COUNT',
      READ_BATCH,
      'BLOCK',
      READ_BLOCK_MS,
      'STREAMS',
      this.core.keys.subscriptionStream(),
      this.cursor,
    )) as Array<[string, StreamPage]> | null;
    const batch = reply?.[0]?.[1] ?? [];
    if (batch.length === 0) return;
    await this.process(batch, true);
    if (this.departed) {
      // Others own everything since that entry; this instance starts over as a new member.
      this.shard.clear();
      await this.join();
    } else {
      this.cursor = batch[batch.length - 1][0];
      this.commit(this.cursor);
    }
    this.reportShard();
  }

  /**
   * Matches each new subscription of `batch` against the shard; when `live`, also indexes the ones this instance owns,
   * drops ended ones and follows view entries (a replay only matches).
   */
  private async process(batch: StreamPage, live: boolean): Promise<void> {
    const entries = batch.map(([seq, fields]) => ({ seq, ...parseStreamEntry(fields) }));
    const records = await this.subscriptions.streamed(entries.filter((e) => e.op === 'sub'));
    const byId = new Map(records.filter((r): r is SubscriptionRecord => r !== undefined).map((r) => [r.id, r]));
    for (const entry of entries) {
      if (entry.op === 'view') {
        if (!live) continue;
        await this.applyView(entry.seq, parseMembers(entry.members), entry.from);
        if (this.departed) return;
        continue;
      }
      const record = byId.get(entry.id);
      if (entry.op !== 'sub' || !record || !isLive(record)) {
        if (live) this.shard.remove(entry.id);
        continue;
      }
      const subscription = this.shard.compile(record);
      if (!subscription) continue;
      if (live && this.view.ownerOf(entry.id) === this.memberId) this.shard.add(subscription);
      this.pending.push(this.writer!.write(this.shard.pairsWith(subscription, entry.seq)));
    }
  }

  /**
   * Switches to the view of the entry at `seq`: drops what another member owns now, takes over what this one gained
   * (only a departure, or its own join, can give it anything) and replays what the departed had not matched.
   */
  private async applyView(seq: string, members: string[], from: string): Promise<void> {
    if (!members.includes(this.memberId)) {
      this.departed = true;
      return;
    }
    const previous = this.view;
    this.view = new Rendezvous(members);
    for (const id of [...this.shard.ids()]) if (this.view.ownerOf(id) !== this.memberId) this.shard.remove(id);
    const gained = !previous.has(this.memberId) || previous.members.some((member) => !this.view.has(member));
    if (gained) await this.loadOwned(this.view);
    if (from !== '') await this.replay(from, seq);
  }

  /** Indexes every live subscription `view` gives this instance that it has not indexed yet. */
  private async loadOwned(view: Rendezvous): Promise<void> {
    const { redis, keys } = this.core;
    const now = Date.now();
    for (const kind of ['demand', 'offer'] as const) {
      const ids = (await redis.zrangebyscore(keys.activeSubscriptions(kind), now, '+inf')).filter(
        (id) => !this.shard.has(id) && view.ownerOf(id) === this.memberId,
      );
      for (let i = 0; i < ids.length; i += READ_BATCH) {
        for (const record of await this.subscriptions.getMany(ids.slice(i, i + READ_BATCH))) {
          const subscription = record && isLive(record, now) ? this.shard.compile(record) : undefined;
          if (subscription) this.shard.add(subscription);
        }
      }
    }
  }

  /** Matches the new subscriptions after `from` and before `until` against the shard. */
  private async replay(from: string, until: string): Promise<void> {
    const stream = this.core.keys.subscriptionStream();
    let start = from;
    for (;;) {
      const page = (await this.core.redis.xrange(stream, `(${start}`, `(${until}`, 'COUNT', READ_BATCH)) as StreamPage;
      if (page.length === 0) return;
      await this.process(page, false);
      start = page[page.length - 1][0];
    }
  }

  /** Reports `through` as matched once the writes queued so far are done (in order, never moving back). */
  private commit(through: string): void {
    const writes = this.pending.splice(0);
    this.committed = this.committed
      .then(() => Promise.all(writes))
      .then(() => {
        if (compareStreamIds(through, this.matched) > 0) this.matched = through;
      });
  }
}

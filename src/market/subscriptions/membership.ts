import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Core } from '../../kernel/core';
import { Periodic } from '../../kernel/loops';
import { defineScript, outcome } from '../../store/scripts';

const MEMBERSHIP_KEYS = ['members', 'progress', 'orphaned', 'stream'] as const;

const joinScript = defineScript({
  name: 'matcher.join',
  file: path.join(__dirname, 'lua', 'member_join.lua'),
  keys: MEMBERSHIP_KEYS,
  args: ['member', 'deadAfterMs'],
  parse: (reply) => {
    const [view, members, from] = outcome(reply).values.map(String);
    return { view, members: parseMembers(members), from };
  },
});

const beatScript = defineScript({
  name: 'matcher.beat',
  file: path.join(__dirname, 'lua', 'member_beat.lua'),
  keys: MEMBERSHIP_KEYS,
  args: ['member', 'progress', 'deadAfterMs'],
  parse: (reply) => outcome(reply).code as 'ok' | 'gone',
});

const leaveScript = defineScript({
  name: 'matcher.leave',
  file: path.join(__dirname, 'lua', 'member_leave.lua'),
  keys: MEMBERSHIP_KEYS,
  args: ['member', 'progress'],
  parse: (reply) => outcome(reply).code as 'ok' | 'gone',
});

/** A view entry's member list ('' when nobody is left). */
export function parseMembers(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

/** What joining returned: the view entry the member matches from, the members then, and where it must replay from. */
export interface Joined {
  view: string;
  members: string[];
  /** Stream id to replay from ('' when none). */
  from: string;
}

/**
 * This instance's membership among the market's matchers: join, a heartbeat that also reports how far it has matched
 * (and departs members that stopped beating), and leave. Every change is one Lua script that also appends a view
 * entry to the subscription stream, so every instance switches to the new view at the same stream position.
 */
export class Membership {
  /** Unique per start: a restarted process is a new member (its predecessor is departed with its progress). */
  readonly id = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly heartbeat: Periodic;
  private readonly deadAfterMs: number;

  constructor(
    private readonly core: Core,
    /** The stream id through which this instance has finished matching. */
    private readonly progress: () => string,
  ) {
    const { matcherHeartbeatMs, matcherMissedBeats } = core.config;
    this.deadAfterMs = matcherHeartbeatMs * matcherMissedBeats;
    this.heartbeat = new Periodic('matcher-heartbeat', matcherHeartbeatMs, () => this.beat(), core.log);
  }

  /** Members whose heartbeat is recent, by this host's clock (a guess made before joining; the join decides). */
  async liveMembers(): Promise<string[]> {
    return this.core.redis.zrangebyscore(this.core.keys.matcherMembers(), Date.now() - this.deadAfterMs, '+inf');
  }

  async join(): Promise<Joined> {
    const joined = await this.core.scripts.call(joinScript, this.scriptKeys(), {
      member: this.id,
      deadAfterMs: this.deadAfterMs,
    });
    this.heartbeat.start();
    return joined;
  }

  /** Stops the heartbeat and leaves at once (a crashed instance leaves by missing heartbeats instead). */
  async stop(): Promise<void> {
    await this.heartbeat.stop();
    await this.core.scripts.call(leaveScript, this.scriptKeys(), { member: this.id, progress: this.progress() });
  }

  private async beat(): Promise<void> {
    const reply = await this.core.scripts.call(beatScript, this.scriptKeys(), {
      member: this.id,
      progress: this.progress(),
      deadAfterMs: this.deadAfterMs,
    });
    // The view entry that departed it is in the stream: the matcher joins again when it reads that entry.
    if (reply === 'gone') this.core.log.warn({ member: this.id }, 'matcher: departed for missed heartbeats');
  }

  private scriptKeys(): Record<(typeof MEMBERSHIP_KEYS)[number], string> {
    const { keys } = this.core;
    return {
      members: keys.matcherMembers(),
      progress: keys.matcherProgress(),
      orphaned: keys.matcherOrphaned(),
      stream: keys.subscriptionStream(),
    };
  }
}

import path from 'node:path';
import type { Core, Lifecycle } from '../kernel/core';
import { defineScript, outcome } from '../store/scripts';

const revokeScript = defineScript({
  name: 'token.revoke',
  file: path.join(__dirname, 'lua', 'token_revoke.lua'),
  keys: ['marker', 'index'],
  args: ['jti', 'exp', 'now', 'ttl', 'wakeChannel', 'revocationChannel'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return code === 'ok' ? { listeners: Number(values[0]) } : undefined;
  },
});

/** How long a revocation waits for every listening instance to confirm it now refuses the token. */
const ACK_TIMEOUT_MS = 2000;
const PRUNE_INTERVAL_MS = 60_000;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface AwaitedAcks {
  acks: number;
  needed: number;
  done?: () => void;
}

/**
 * The revoked tokens, known in memory on every instance so a request's auth check costs no Redis round trip.
 * A revocation (token_revoke.lua) marks the jti in Redis, indexes it and publishes it; every instance adds it to its
 * set and confirms on the ack channel, and the revocation returns only once every instance that heard it confirmed,
 * so a revoked token is refused everywhere as soon as the revoke call answers.
 * The set is trusted only while the subscriber connection is up and the index was loaded after it subscribed: while
 * it is down (and until the reload after it reconnects), every check asks Redis, as before.
 */
export class RevokedTokens implements Lifecycle {
  /** jti → expiry (unix s); entries leave once the token would have expired anyway. */
  private readonly revoked = new Map<string, number>();
  private readonly awaiting = new Map<string, AwaitedAcks>();
  private trusted = false;
  /** Bumped by every subscriber disconnect, so a reload that raced one does not mark the set trusted. */
  private epoch = 0;
  private pruner: NodeJS.Timeout | undefined;

  constructor(private readonly core: Core) {}

  async start(): Promise<void> {
    const { subscriber } = this.core;
    subscriber.on('message', this.onMessage);
    subscriber.on('close', this.onClose);
    subscriber.on('ready', this.onReady);
    this.pruner = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.pruner.unref();
    await this.reload();
  }

  async stop(): Promise<void> {
    const { subscriber } = this.core;
    subscriber.off('message', this.onMessage);
    subscriber.off('close', this.onClose);
    subscriber.off('ready', this.onReady);
    clearInterval(this.pruner);
    this.trusted = false;
  }

  /** Whether checks are answered from memory (the set is loaded and the subscriber connection up). */
  get local(): boolean {
    return this.trusted;
  }

  /** Whether the token `jti` was revoked: from memory while the set is trusted, from Redis otherwise. */
  async isRevoked(jti: string): Promise<boolean> {
    if (this.trusted || this.revoked.has(jti)) return this.revoked.has(jti);
    return (await this.core.redis.exists(this.core.keys.revokedToken(jti))) === 1;
  }

  /**
   * Revokes the token `jti` (expiring at `exp`, unix s) on every instance. False when it already was revoked.
   * Waits (bounded) for the confirmations of the instances that heard it; one that stays silent has lost its
   * subscriber connection and checks Redis until it has reloaded the set.
   */
  async revoke(jti: string, exp: number): Promise<boolean> {
    const { keys, scripts } = this.core;
    const waiting: AwaitedAcks = { acks: 0, needed: Infinity };
    // Registered before the script runs: another instance's ack may arrive before the script's reply.
    if (this.trusted) this.awaiting.set(jti, waiting);
    try {
      const now = nowSeconds();
      const told = await scripts.call(
        revokeScript,
        { marker: keys.revokedToken(jti), index: keys.revokedTokenIndex() },
        {
          jti,
          exp,
          now,
          ttl: Math.max(1, exp - now),
          wakeChannel: keys.wakeChannel(keys.revokedToken(jti)),
          revocationChannel: keys.revocationChannel(),
        },
      );
      if (!told) return false;
      this.revoked.set(jti, exp);
      if (this.awaiting.has(jti)) await this.confirmations(waiting, told.listeners);
      return true;
    } finally {
      this.awaiting.delete(jti);
    }
  }

  private confirmations(waiting: AwaitedAcks, needed: number): Promise<void> {
    waiting.needed = needed;
    if (waiting.acks >= needed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.core.log.warn({ acks: waiting.acks, needed }, 'token revocation not confirmed by every instance in time');
        resolve();
      }, ACK_TIMEOUT_MS);
      waiting.done = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private readonly onMessage = (channel: string, message: string): void => {
    const { keys, redis } = this.core;
    if (channel === keys.revocationChannel()) {
      const [jti, exp] = message.split(' ');
      this.revoked.set(jti, Number(exp));
      redis.publish(keys.revocationAckChannel(), jti).catch(() => undefined); // the revoker times out instead
    } else if (channel === keys.revocationAckChannel()) {
      const waiting = this.awaiting.get(message);
      if (waiting && ++waiting.acks >= waiting.needed) waiting.done?.();
    }
  };

  private readonly onClose = (): void => {
    this.epoch++;
    this.trusted = false;
  };

  private readonly onReady = (): void => {
    this.reload().catch((err: unknown) => this.core.log.warn({ err }, 'revoked tokens not reloaded; checking Redis'));
  };

  /** Subscribes, then loads the index: a revocation is either heard (after the SUBSCRIBE) or loaded (before it). */
  private async reload(): Promise<void> {
    const { subscriber, redis, keys } = this.core;
    const epoch = this.epoch;
    await subscriber.subscribe(keys.revocationChannel(), keys.revocationAckChannel());
    const entries = await redis.zrangebyscore(keys.revokedTokenIndex(), nowSeconds(), '+inf', 'WITHSCORES');
    for (let i = 0; i + 1 < entries.length; i += 2) this.revoked.set(entries[i], Number(entries[i + 1]));
    if (epoch === this.epoch && subscriber.status === 'ready') this.trusted = true;
  }

  private prune(): void {
    const now = nowSeconds();
    for (const [jti, exp] of this.revoked) if (exp < now) this.revoked.delete(jti);
  }
}

const perInstance = new WeakMap<Core, RevokedTokens>();

/** The one revoked-token set of an instance (every TokenService of the instance shares it). */
export function revokedTokensOf(core: Core): RevokedTokens {
  let tokens = perInstance.get(core);
  if (!tokens) {
    tokens = new RevokedTokens(core);
    perInstance.set(core, tokens);
  }
  return tokens;
}

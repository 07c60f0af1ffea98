import type Redis from 'ioredis';
import type { Keys } from '../store/keys';

/** Why a wait ended. Everything but 'notified' means "nothing happened" to the caller. */
export type WaitOutcome = 'notified' | 'timeout' | 'aborted' | 'shutdown';

/**
 * One waiter's interest in a set of keys. Notifications that arrive while the caller is busy reading
 * are remembered (`pending`), so the register → read → sleep sequence never loses a wake-up.
 */
export class Registration {
  private pending = false;
  private finished: WaitOutcome | undefined;
  private wake: ((outcome: WaitOutcome) => void) | undefined;
  private released = false;

  constructor(
    private readonly owner: Waiter,
    readonly channels: string[],
    private readonly signal?: AbortSignal,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Resolves at the next notification (or at once if one arrived since the last call), at the timeout, on abort or on
   * shutdown.
   */
  next(timeoutMs: number): Promise<WaitOutcome> {
    if (this.finished) return Promise.resolve(this.finished);
    if (this.pending) {
      this.pending = false;
      return Promise.resolve('notified');
    }
    if (timeoutMs <= 0) return Promise.resolve('timeout');
    return new Promise<WaitOutcome>((resolve) => {
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      const settle = (outcome: WaitOutcome): void => {
        clearTimeout(timer);
        this.wake = undefined;
        if (outcome === 'notified') this.pending = false;
        resolve(outcome);
      };
      this.wake = settle;
    });
  }

  /** Called by the Waiter when one of this registration's channels receives a message. */
  notify(): void {
    this.pending = true;
    this.wake?.('notified');
  }

  end(outcome: 'aborted' | 'shutdown'): void {
    if (this.finished) return;
    this.finished = outcome;
    this.wake?.(outcome);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.owner.release(this);
  }

  private readonly onAbort = (): void => this.end('aborted');
}

/**
 * Long-poll wake-ups for one process: a single subscriber connection shared by every waiter, with
 * reference-counted channel subscriptions (a channel is subscribed while at least one waiter needs it).
 * Durable Redis structures are the truth; a wake-up only tells a waiter to read again (DESIGN §5).
 */
export class Waiter {
  private readonly byChannel = new Map<string, Set<Registration>>();
  private closing = false;

  /** `openPolls` (a Prometheus gauge) counts calls waiting in poll(), whichever endpoint they serve. */
  constructor(
    private readonly subscriber: Redis,
    private readonly keys: Keys,
    private readonly openPolls?: { inc(): void; dec(): void },
  ) {
    subscriber.on('message', (channel: string) => {
      for (const registration of this.byChannel.get(channel) ?? []) registration.notify();
    });
  }

  /** Number of waiters currently registered on `key` (0 once every waiter released it). */
  refCount(key: string): number {
    return this.byChannel.get(this.keys.wakeChannel(key))?.size ?? 0;
  }

  get openRegistrations(): number {
    const all = new Set<Registration>();
    for (const set of this.byChannel.values()) for (const r of set) all.add(r);
    return all.size;
  }

  /**
   * Registers interest in `keys` and resolves once the subscription is active, so that anything
   * written after this returns is guaranteed to wake the registration. Read only after this resolves.
   */
  async register(keys: string[], signal?: AbortSignal): Promise<Registration> {
    const channels = [...new Set(keys.map((k) => this.keys.wakeChannel(k)))];
    const registration = new Registration(this, channels, signal);
    if (this.closing) {
      registration.end('shutdown');
      return registration;
    }
    if (signal?.aborted) registration.end('aborted');
    const fresh: string[] = [];
    for (const channel of channels) {
      let set = this.byChannel.get(channel);
      if (!set) {
        set = new Set();
        this.byChannel.set(channel, set);
        fresh.push(channel);
      }
      set.add(registration);
    }
    try {
      // Channels someone else already holds are live; a fresh one needs its SUBSCRIBE acknowledged.
      // Commands on one connection are ordered, so a concurrent UNSUBSCRIBE of the same channel cannot overtake it.
      if (fresh.length > 0) await this.subscriber.subscribe(...fresh);
    } catch (err) {
      registration.release();
      throw err;
    }
    return registration;
  }

  /** Waits once for any of `keys` to be notified, `timeoutMs` to pass, `signal` to abort, or shutdown. */
  async wait(keys: string[], timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    const registration = await this.register(keys, signal);
    try {
      return await registration.next(timeoutMs);
    } finally {
      registration.release();
    }
  }

  /**
   * The long-poll loop every blocking endpoint uses: register, then read; if the read found nothing,
   * sleep until a wake-up and read again, until the deadline. Returns undefined when nothing was found.
   * `read` may throw (e.g. NotFound when the subscription was removed while waiting).
   */
  async poll<T>(
    keys: string[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
    read: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    const registration = await this.register(keys, signal);
    this.openPolls?.inc();
    try {
      for (;;) {
        const found = await read();
        if (found !== undefined) return found;
        const outcome = await registration.next(deadline - Date.now());
        if (outcome !== 'notified') return undefined;
      }
    } finally {
      this.openPolls?.dec();
      registration.release();
    }
  }

  release(registration: Registration): void {
    const idle: string[] = [];
    for (const channel of registration.channels) {
      const set = this.byChannel.get(channel);
      if (!set) continue;
      set.delete(registration);
      if (set.size === 0) {
        this.byChannel.delete(channel);
        idle.push(channel);
      }
    }
    if (idle.length > 0 && this.subscriber.status === 'ready') {
      this.subscriber.unsubscribe(...idle).catch(() => undefined);
    }
  }

  /** Answers every waiting call with "nothing happened"; later registrations end at once. */
  shutdown(): void {
    this.closing = true;
    for (const set of this.byChannel.values()) for (const registration of set) registration.end('shutdown');
  }

  /** Wakes every waiter on `key`, on every process sharing this Redis. */
  notify(redis: Redis, key: string): Promise<number> {
    return redis.publish(this.keys.wakeChannel(key), key);
  }
}

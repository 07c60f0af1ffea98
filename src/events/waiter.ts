import type Redis from 'ioredis';
import type { Keys } from '../store/keys';

/**
 * Why a wait ended. Everything but 'notified' means "nothing happened" to the caller; 'cancelled' means a poll's
 * guard fired (see PollGuard).
 */
export type WaitOutcome = 'notified' | 'timeout' | 'aborted' | 'shutdown' | 'cancelled';

/**
 * A condition that ends every long-poll made with one abort signal: e.g. the request's token was revoked. It costs
 * nothing until a poll uses the signal; then its key is subscribed together with the poll's own keys.
 */
export interface PollGuard {
  /** Notifying this key ends the polls. */
  key: string;
  /** Checked once the poll is subscribed: whether the guard fired before that (its notification was missed). */
  fired(): Promise<boolean>;
  /** What a poll ended by the guard throws. */
  error(): Error;
}

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
    /** A notification on this channel ends the registration instead of waking it. */
    private readonly endingChannel?: string,
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
  notify(channel?: string): void {
    if (channel !== undefined && channel === this.endingChannel) return this.end('cancelled');
    this.pending = true;
    this.wake?.('notified');
  }

  end(outcome: 'aborted' | 'shutdown' | 'cancelled'): void {
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
  /** Channels released while their UNSUBSCRIBE could not be sent; ioredis would subscribe them again on reconnect. */
  private readonly orphans = new Set<string>();
  private readonly guards = new WeakMap<AbortSignal, PollGuard>();
  private closing = false;

  /** `openPolls` (a Prometheus gauge) counts calls waiting in poll(), whichever endpoint they serve. */
  constructor(
    private readonly subscriber: Redis,
    private readonly keys: Keys,
    private readonly openPolls?: { inc(): void; dec(): void },
  ) {
    subscriber.on('message', (channel: string) => {
      for (const registration of this.byChannel.get(channel) ?? []) registration.notify(channel);
    });
    // ioredis re-subscribes its remembered channels as it becomes ready; the orphans go after those commands.
    subscriber.on('ready', () => setImmediate(() => this.dropOrphans()));
  }

  /** Ends every poll made with `signal` (a request's abort signal) when the guard fires, by throwing its error. */
  guardPolls(signal: AbortSignal, guard: PollGuard): void {
    this.guards.set(signal, guard);
  }

  /** Polls made with `derived` (a signal that aborts with `signal`) keep `signal`'s guard. */
  inheritGuard(signal: AbortSignal | undefined, derived: AbortSignal): void {
    const guard = signal === undefined ? undefined : this.guards.get(signal);
    if (guard) this.guards.set(derived, guard);
  }

  /** Channels subscribed for nobody: released while Redis was unreachable. */
  get orphanCount(): number {
    return [...this.orphans].filter((channel) => !this.byChannel.has(channel)).length;
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
  async register(keys: string[], signal?: AbortSignal, endingKey?: string): Promise<Registration> {
    const all = endingKey === undefined ? keys : [...keys, endingKey];
    const channels = [...new Set(all.map((k) => this.keys.wakeChannel(k)))];
    const ending = endingKey === undefined ? undefined : this.keys.wakeChannel(endingKey);
    const registration = new Registration(this, channels, signal, ending);
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

  /**
   * register() for a stream (SSE, log tail) that may live only as long as the guard of `signal` allows (see
   * guardPolls): the registration ends 'cancelled' when the guard fires, at once if it fired already.
   */
  async registerGuarded(keys: string[], signal?: AbortSignal): Promise<Registration> {
    const guard = signal === undefined ? undefined : this.guards.get(signal);
    const registration = await this.register(keys, signal, guard?.key);
    if (guard && (await guard.fired())) registration.end('cancelled');
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
   * The long-poll loop every blocking endpoint uses: read; if that found nothing, register, then read; if that found
   * nothing, sleep until a wake-up and read again, until the deadline. Returns undefined when nothing was found.
   * `read` may throw (e.g. NotFound when the subscription was removed while waiting). A guard set on `signal` with
   * guardPolls ends the poll by throwing its error, before any read once it has fired.
   */
  async poll<T>(
    keys: string[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
    read: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    const guard = signal === undefined ? undefined : this.guards.get(signal);
    // Something already there needs no subscription: one read, no SUBSCRIBE/UNSUBSCRIBE. Otherwise register, then
    // read again (a write between the two reads wakes the registration or is seen by the second read).
    if (guard && (await guard.fired())) throw guard.error();
    if (!signal?.aborted && !this.closing) {
      const found = await read();
      if (found !== undefined) return found;
    }
    const registration = await this.register(keys, signal, guard?.key);
    this.openPolls?.inc();
    try {
      if (guard && (await guard.fired())) throw guard.error();
      for (;;) {
        const found = await read();
        if (found !== undefined) return found;
        const outcome = await registration.next(deadline - Date.now());
        if (outcome === 'cancelled' && guard) throw guard.error();
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
    if (idle.length === 0) return;
    if (this.subscriber.status !== 'ready') {
      for (const channel of idle) this.orphans.add(channel);
      return;
    }
    this.subscriber.unsubscribe(...idle).catch(() => {
      for (const channel of idle) this.orphans.add(channel);
    });
  }

  /** Unsubscribes the orphans nobody registered again since; runs whenever the subscriber (re)connects. */
  private dropOrphans(): void {
    const stale = [...this.orphans].filter((channel) => !this.byChannel.has(channel));
    this.orphans.clear();
    if (stale.length === 0 || this.subscriber.status !== 'ready') {
      for (const channel of stale) this.orphans.add(channel);
      return;
    }
    this.subscriber.unsubscribe(...stale).catch(() => {
      for (const channel of stale) this.orphans.add(channel);
    });
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

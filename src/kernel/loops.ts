import type Redis from 'ioredis';
import type { Logger } from 'pino';

/** A pause that does not keep the process alive. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Background work that repeats every `intervalMs`, never overlapping itself (single flight): sweepers, watchdogs,
 * heartbeats. A failing round is logged once per streak of failures (Redis being down fails every round) and
 * retried at the next tick; stop() waits for the round in flight.
 */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs one round now (or joins the one in flight). */
  tick(): Promise<void> {
    this.running ??= this.work()
      .then(
        () => {
          if (this.failing) this.log.info({ loop: this.name }, 'background loop recovered');
          this.failing = false;
        },
        (err: unknown) => {
          if (!this.failing) this.log.warn({ err, loop: this.name }, 'background loop failed; retrying');
          this.failing = true;
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/**
 * A loop of blocking reads (XREAD / XREADGROUP BLOCK) on a connection of its own, since a blocked command holds
 * its connection. `step` does one read and handles what it got; a failure is logged once per streak and retried
 * after `retryMs`. The connection is established before the first read, so a clean start logs nothing.
 */
export class StreamReader {
  private connection: Redis | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly name: string,
    private readonly redis: Redis,
    private readonly step: (connection: Redis) => Promise<void>,
    private readonly log: Logger,
    private readonly retryMs = 500,
  ) {}

  async start(): Promise<void> {
    if (this.running) return;
    const connection = this.redis.duplicate({ lazyConnect: true, connectionName: `bourse-${this.name}` });
    connection.on('error', () => undefined); // reported by the loop below, once per streak
    await connection.connect();
    this.connection = connection;
    this.running = true;
    this.loop = this.run(connection);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.connection?.disconnect();
    await this.loop;
  }

  private async run(connection: Redis): Promise<void> {
    while (this.running) {
      try {
        await this.step(connection);
        if (this.failing) this.log.info({ loop: this.name }, 'stream reader recovered');
        this.failing = false;
      } catch (err) {
        if (!this.running) return;
        if (!this.failing) this.log.warn({ err, loop: this.name }, 'stream reader failed; retrying');
        this.failing = true;
        await sleep(this.retryMs);
      }
    }
  }
}

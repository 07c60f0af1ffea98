import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { Waiter } from '../events/waiter';
import type { Metrics } from './metrics';
import type { Keys } from '../store/keys';
import type { Scripts } from '../store/scripts';

/** What every domain service of one API instance is built from. Holds no HTTP types. */
export interface Core {
  config: Config;
  log: Logger;
  keys: Keys;
  /** Command connection (never used for SUBSCRIBE). */
  redis: Redis;
  /** Dedicated subscriber connection shared by all waiters of this process. */
  subscriber: Redis;
  scripts: Scripts;
  waiter: Waiter;
  metrics: Metrics;
}

/** Background work a domain runs while its instance is up (sweepers, stream readers), started after Redis connects. */
export interface Lifecycle {
  start?(): Promise<void>;
  /** Called before the connections close. */
  stop?(): Promise<void>;
}

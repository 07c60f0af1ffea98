import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type Router from '@koa/router';
import type { Config } from './config';
import type { Waiter } from './events/waiter';
import type { Metrics } from './http/metrics';
import type { Keys } from './store/keys';
import type { Scripts } from './store/scripts';

/** What every domain module of one service instance is built from. */
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

/**
 * A domain's face towards the HTTP layer and the instance lifecycle. Routes stay thin: parse → call domain → render.
 */
export interface Module {
  name: string;
  mount?(router: Router): void;
  /** Background work (expiry sweepers, stream readers) started after Redis is connected. */
  start?(): Promise<void>;
  /** Stops background work; called before the connections close. */
  stop?(): Promise<void>;
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { Waiter } from '../events/waiter';
import { createApp } from '../http/app';
import { mountRoutes } from '../http/routes';
import { ConfigError, requireRedisUrl, type Config } from '../kernel/config';
import type { Core, Lifecycle } from '../kernel/core';
import { Metrics } from '../kernel/metrics';
import { Keys } from '../store/keys';
import { openRedis } from '../store/redis';
import { Scripts } from '../store/scripts';
import { buildServices, type ApiServices } from './services';
import { exitOnSignal } from './signals';
import { warmUp } from './warmUp';

export interface InstanceOptions {
  config: Config;
  /** Must be set here even when config.redisUrl is not (dev resolves the embedded server first). */
  redisUrl: string;
  log: Logger;
  /** Extra routes mounted after the API's own (tests mount probe routes). */
  extraRoutes?: (router: Router, core: Core) => void;
  processMetrics?: boolean;
}

/**
 * The API's composition root: one instance's Redis connections, waiter, domain services, routes and HTTP server.
 * Instances hold no market state of their own, so several may share one Redis (in one process in tests).
 */
export class ApiInstance {
  readonly app: Koa;
  private server: http.Server | undefined;

  private constructor(
    readonly core: Core,
    readonly services: ApiServices,
    private readonly lifecycles: Lifecycle[],
    router: Router,
  ) {
    this.app = createApp(core, router);
  }

  static async create(options: InstanceOptions): Promise<ApiInstance> {
    const { config, log, redisUrl } = options;
    const metrics = new Metrics({ processMetrics: options.processMetrics });
    const keys = new Keys(config.keyPrefix);
    const onError = (): void => metrics.redisErrors.inc();
    const redis = await openRedis(redisUrl, 'bourse-cmd', log, { onError });
    const subscriber = await openRedis(redisUrl, 'bourse-sub', log, { onError });
    const scripts = new Scripts(redis);
    await scripts.load();
    const waiter = new Waiter(subscriber, keys, metrics.openLongPolls);
    const core: Core = { config, log, keys, redis, subscriber, scripts, waiter, metrics };
    const { services, lifecycles } = buildServices(core);
    const router = new Router();
    mountRoutes(router, core, services);
    options.extraRoutes?.(router, core);
    for (const lifecycle of lifecycles) await lifecycle.start?.();
    return new ApiInstance(core, services, lifecycles, router);
  }

  /** Starts the HTTP server; port 0 picks a free one. */
  async listen(port = this.core.config.port, host = this.core.config.host): Promise<string> {
    await warmUp(this.app, this.core);
    const server = http.createServer(this.app.callback());
    // Long-polls may legitimately outlast Node's default request timeouts.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return this.url;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('instance is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  get httpServer(): http.Server | undefined {
    return this.server;
  }

  /**
   * Graceful stop: answer every waiting long-poll with its empty result, stop accepting connections,
   * let in-flight requests finish (up to `graceMs`), stop background work, close Redis.
   */
  async close(graceMs = this.core.config.shutdownGraceMs): Promise<void> {
    this.core.waiter.shutdown();
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, graceMs);
      });
      await Promise.race([closed, forced]);
      clearTimeout(timer);
    }
    for (const lifecycle of [...this.lifecycles].reverse()) await lifecycle.stop?.();
    this.core.subscriber.disconnect();
    await this.core.redis.quit().catch(() => this.core.redis.disconnect());
  }
}

function requireAuthSecret(config: Config): string {
  if (!config.authSecret)
    throw new ConfigError(
      'BOURSE_AUTH_SECRET',
      'is required: set the same secret (32+ characters) on every API instance',
    );
  return config.authSecret;
}

export async function startApi(config: Config, log: Logger, redisUrl: string): Promise<ApiInstance> {
  const instance = await ApiInstance.create({ config, redisUrl, log, processMetrics: true });
  const url = await instance.listen();
  log.info({ url }, 'bourse api listening');
  return instance;
}

export async function runApi(config: Config, log: Logger): Promise<void> {
  const redisUrl = requireRedisUrl(config);
  requireAuthSecret(config);
  const instance = await startApi(config, log, redisUrl);
  exitOnSignal(log, () => instance.close());
}

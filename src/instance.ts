import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { Core, Module } from './core';
import { Waiter } from './events/waiter';
import { createApp } from './http/app';
import { Metrics } from './http/metrics';
import { healthModule } from './http/routes/health';
import { apiModules } from './modules';
import { Keys } from './store/keys';
import { openRedis } from './store/redis';
import { Scripts } from './store/scripts';

export interface InstanceOptions {
  config: Config;
  /** Must be set here even when config.redisUrl is not (dev resolves the embedded server first). */
  redisUrl: string;
  log: Logger;
  /** Which modules to build; defaults to the full API. */
  modules?: (core: Core) => Module[];
  processMetrics?: boolean;
}

/**
 * One API instance: its Redis connections, its waiter, its modules and its HTTP server.
 * Instances hold no market state of their own, so several may share one Redis (in one process in tests).
 */
export class Instance {
  readonly app: Koa;
  private server: http.Server | undefined;

  private constructor(
    readonly core: Core,
    readonly modules: Module[],
  ) {
    this.app = createApp(core, modules);
  }

  static async create(options: InstanceOptions): Promise<Instance> {
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
    // Health, readiness and metrics are part of every instance, whatever else it serves.
    const modules = [healthModule(core), ...(options.modules ?? apiModules)(core)];
    for (const module of modules) await module.start?.();
    return new Instance(core, modules);
  }

  /** Starts the HTTP server; port 0 picks a free one. */
  async listen(port = this.core.config.port, host = this.core.config.host): Promise<string> {
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
    for (const module of [...this.modules].reverse()) await module.stop?.();
    this.core.subscriber.disconnect();
    await this.core.redis.quit().catch(() => this.core.redis.disconnect());
  }
}

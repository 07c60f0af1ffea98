import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { Config, loadConfig } from '../../src/kernel/config';
import type Router from '@koa/router';
import type { Core } from '../../src/kernel/core';
import { ApiInstance } from '../../src/main/api';
import { createLogger } from '../../src/kernel/logger';

export const TEST_AUTH_SECRET = 'test-secret-test-secret-test-secret-0123456789';

/** The Redis the suite runs against (started by globalSetup, or REDIS_URL_TEST). */
export function testRedisUrl(): string {
  const url = process.env.BOURSE_TEST_REDIS_URL;
  if (!url) throw new Error('BOURSE_TEST_REDIS_URL is not set: run the tests through jest (globalSetup starts Redis)');
  return url;
}

/** A fresh key prefix, so test files share one Redis without seeing each other's keys. */
export function testPrefix(): string {
  return `test:${randomBytes(4).toString('hex')}:`;
}

export interface TestInstanceOptions {
  /** Share a prefix to make several instances one market (cluster tests). */
  prefix?: string;
  redisUrl?: string;
  env?: Record<string, string>;
  extraRoutes?: (router: Router, core: Core) => void;
}

export interface TestInstance {
  instance: ApiInstance;
  url: string;
  config: Config;
  request: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/** Starts a real API instance on a free loopback port against the test Redis. */
export async function startTestInstance(options: TestInstanceOptions = {}): Promise<TestInstance> {
  const config = loadConfig({
    BOURSE_KEY_PREFIX: options.prefix ?? testPrefix(),
    BOURSE_AUTH_SECRET: TEST_AUTH_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    ...options.env,
  });
  const instance = await ApiInstance.create({
    config,
    redisUrl: options.redisUrl ?? testRedisUrl(),
    log: createLogger(config.logLevel),
    extraRoutes: options.extraRoutes,
  });
  const url = await instance.listen(0, '127.0.0.1');
  return { instance, url, config, request: supertest(url), close: () => instance.close(1000) };
}

/**
 * Registers beforeAll/afterAll hooks that start two instances sharing one market (one key prefix) and hands
 * them to `use`, so a cluster test only declares its variables.
 */
export function twoInstancesOfOneMarket(use: (a: TestInstance, b: TestInstance) => void): void {
  const started: TestInstance[] = [];
  beforeAll(async () => {
    const prefix = testPrefix();
    started.push(await startTestInstance({ prefix }), await startTestInstance({ prefix }));
    use(started[0], started[1]);
  });
  afterAll(async () => {
    for (const instance of started) await instance.close();
  });
}

import { EmbeddedRedis } from '../../src/store/embeddedRedis';

/**
 * Starts the suite's own redis-server on a free port, unless REDIS_URL_TEST names one to use.
 * Tests never flush a Redis: each test file works under its own random key prefix.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL_TEST) {
    process.env.BOURSE_TEST_REDIS_URL = process.env.REDIS_URL_TEST;
    return;
  }
  const server = await EmbeddedRedis.start();
  (globalThis as { __bourseRedis?: EmbeddedRedis }).__bourseRedis = server;
  process.env.BOURSE_TEST_REDIS_URL = server.url;
}

import type { EmbeddedRedis } from '../../src/store/embeddedRedis';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __bourseRedis?: EmbeddedRedis }).__bourseRedis?.stop();
}

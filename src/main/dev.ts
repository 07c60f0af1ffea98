import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../kernel/config';
import { EmbeddedRedis } from '../store/embeddedRedis';
import { startApi } from './api';
import { startRunner } from './runner';
import { secretFile } from './secrets';
import { exitOnSignal } from './signals';

/** In dev a missing auth secret is generated once and kept under the data dir, so tokens survive restarts. */
function devAuthSecret(config: Config, log: Logger): string {
  if (config.authSecret) return config.authSecret;
  const secret = secretFile(config.dataDir, 'auth-secret', () => randomBytes(32).toString('hex'));
  if (secret.created) log.warn({ dir: config.dataDir }, 'BOURSE_AUTH_SECRET not set: generated a development secret');
  return secret.value;
}

export async function runDev(config: Config, log: Logger): Promise<void> {
  let embedded: EmbeddedRedis | undefined;
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    embedded = await EmbeddedRedis.start({ dataDir: path.join(config.dataDir, 'redis') });
    redisUrl = embedded.url;
    log.info({ url: redisUrl, pid: embedded.pid }, 'embedded redis-server started');
  }
  const devConfig = { ...config, authSecret: devAuthSecret(config, log) };
  try {
    const instance = await startApi(devConfig, log, redisUrl);
    const stopRunner = await startRunner(devConfig, log, redisUrl, { generateKey: true });
    exitOnSignal(log, async () => {
      // Answer waiting long-polls at once, then let the runner withdraw its offer while the API still serves it.
      instance.core.waiter.shutdown();
      await stopRunner();
      await instance.close();
      await embedded?.stop();
    });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

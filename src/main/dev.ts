import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { findExecutable } from '../compute/runner/executor/sandbox';
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
  if (secret.created) log.info({ dir: config.dataDir }, 'BOURSE_AUTH_SECRET not set: generated a development secret');
  return secret.value;
}

/** Why the embedded runner cannot start here, or undefined when it can (its sandbox is installed or waived). */
function runnerUnavailable(): string | undefined {
  if ((process.env.BOURSE_SANDBOX || 'bwrap') !== 'bwrap' || findExecutable('bwrap')) return undefined;
  return (
    'bubblewrap (bwrap) is not installed, so the runner is off and no jobs run; install it with ' +
    '`sudo apt-get install bubblewrap` and restart (or set BOURSE_SANDBOX=none for local development only)'
  );
}

/**
 * `bourse dev`: an embedded Redis (unless REDIS_URL is set), one API instance and a runner in one process. The
 * runner talks to the API over loopback HTTP, exactly as a runner on another machine would.
 */
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
    let stopRunner: (() => Promise<void>) | undefined;
    // A runner that cannot start (no sandbox) must not take the market down: the API stays up and says why.
    const runnerOff = (why: string): void => {
      instance.services.compute.runnerState = `disabled: ${why}`;
      log.error(why);
    };
    const unavailable = runnerUnavailable();
    if (unavailable) runnerOff(unavailable);
    else {
      // The API listens on the configured port, which may have been 0 (pick one): the runner uses the real one.
      const env = { ...process.env, BOURSE_API_URL: process.env.BOURSE_API_URL || instance.url };
      try {
        stopRunner = await startRunner(devConfig, log, { generateKey: true, env });
      } catch (err) {
        runnerOff(`the runner could not start, so no jobs run: ${(err as Error).message}`);
      }
    }
    exitOnSignal(log, async () => {
      // Answer waiting long-polls at once, then let the runner withdraw its offer while the API still serves it.
      instance.core.waiter.shutdown();
      await stopRunner?.();
      await instance.close();
      await embedded?.stop();
    });
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

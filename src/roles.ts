import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Config, ConfigError } from './config';
import { Instance } from './instance';
import { EmbeddedRedis } from './store/embeddedRedis';
import { loadRunnerConfig } from './compute/runnerConfig';
import { Runner } from './compute/worker';
import { environmentOf, startRunnerMarket } from './compute/runnerMarket';

/** Stops `stop` on the first SIGTERM/SIGINT, then exits 0 (or 1 if stopping failed). */
function exitOnSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

function requireRedisUrl(config: Config): string {
  if (!config.redisUrl)
    throw new ConfigError('REDIS_URL', 'is required for this role (or use `bourse dev`, which starts its own Redis)');
  return config.redisUrl;
}

function requireAuthSecret(config: Config): string {
  if (!config.authSecret)
    throw new ConfigError(
      'BOURSE_AUTH_SECRET',
      'is required: set the same secret (32+ characters) on every API instance',
    );
  return config.authSecret;
}

async function startApi(config: Config, log: Logger, redisUrl: string): Promise<Instance> {
  const instance = await Instance.create({ config, redisUrl, log, processMetrics: true });
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

/** The compute runner: worker for its provider's job queue, watchdog and heartbeat (`generateKey`: dev only). */
export async function startRunner(
  config: Config,
  log: Logger,
  redisUrl: string,
  options: { generateKey?: boolean } = {},
): Promise<() => Promise<void>> {
  const runner = await Runner.start({
    config,
    redisUrl,
    log,
    runner: loadRunnerConfig(process.env, { dataDir: config.dataDir, generateKey: options.generateKey }),
  });
  // Its market presence: the runner offers its environment and negotiates through the API at config.apiUrl.
  const stopMarket = startRunnerMarket({
    apiUrl: config.apiUrl,
    wallet: runner.config.wallet,
    environment: environmentOf(runner.config),
    log,
  });
  return async () => {
    await stopMarket();
    await runner.stop();
  };
}

export async function runRunner(config: Config, log: Logger): Promise<void> {
  const stop = await startRunner(config, log, requireRedisUrl(config));
  exitOnSignal(log, stop);
}

/** In dev a missing auth secret is generated once and kept under the data dir, so tokens survive restarts. */
function devAuthSecret(config: Config, log: Logger): string {
  if (config.authSecret) return config.authSecret;
  const file = path.join(config.dataDir, 'auth-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
    log.warn({ file }, 'BOURSE_AUTH_SECRET not set: generated a development secret');
  }
  return fs.readFileSync(file, 'utf8').trim();
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

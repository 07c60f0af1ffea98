import type { Logger } from 'pino';
import { loadRunnerConfig } from '../compute/runnerConfig';
import { environmentOf, startRunnerMarket } from '../compute/runnerMarket';
import { Runner } from '../compute/worker';
import { requireRedisUrl, type Config } from '../kernel/config';
import { exitOnSignal } from './signals';

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

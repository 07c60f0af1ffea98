import type { Logger } from 'pino';
import { startRunnerMarket, environmentOf } from '../compute/runner/agent';
import { loadRunnerConfig } from '../compute/runner/config';
import { Runner } from '../compute/runner/runner';
import { ConfigError, type Config, type Env } from '../kernel/config';
import { exitOnSignal } from './signals';

/**
 * A runner: its provider's jobs through the provider job API and its market presence through the Market API, both
 * over HTTP to the API instances in BOURSE_API_URL (`generateKey`: dev only).
 */
export async function startRunner(
  config: Config,
  log: Logger,
  options: { generateKey?: boolean; env?: Env } = {},
): Promise<() => Promise<void>> {
  const runnerConfig = loadRunnerConfig(options.env ?? process.env, {
    dataDir: config.dataDir,
    defaultApiUrl: config.apiUrl,
    generateKey: options.generateKey,
  });
  const runner = await Runner.start(runnerConfig, log);
  const stopMarket = startRunnerMarket(
    { api: runner.api, environment: environmentOf(runnerConfig), log },
    runnerConfig.provider,
  );
  return async () => {
    await stopMarket();
    await runner.stop();
  };
}

export async function runRunner(config: Config, log: Logger): Promise<void> {
  if (config.redisUrl)
    throw new ConfigError(
      'REDIS_URL',
      'must not be set for `bourse runner`: a runner is a client of the API and never opens its Redis. Give it ' +
        'BOURSE_API_URL (one or more API base URLs, comma-separated) and its key (BOURSE_RUNNER_PRIVATE_KEY or ' +
        'BOURSE_RUNNER_KEY_FILE)',
    );
  const stop = await startRunner(config, log);
  exitOnSignal(log, stop);
}

import { environmentOf, startRunnerMarket } from '../../src/compute/runnerMarket';
import { createLogger } from '../../src/kernel/logger';
import { startRunner } from '../compute/engine/support';
import type { TestInstance } from './instance';

export interface BuiltInRunner {
  /** Lower-case 0x address of the runner's provider identity. */
  provider: string;
  stop(): Promise<void>;
}

/**
 * Starts a built-in runner serving the instance `t`: its worker (on the instance's key prefix) and its market
 * presence (offer, negotiation, approval through the API over HTTP). The one place tests start a runner for
 * market-level scenarios, so a change in how runners start is made here only. `env` adds `BOURSE_RUNNER_*`
 * settings.
 */
export async function startBuiltInRunner(t: TestInstance, env: Record<string, string> = {}): Promise<BuiltInRunner> {
  const runner = await startRunner(t.config.keyPrefix, { env });
  const stopMarket = startRunnerMarket({
    apiUrl: t.url,
    wallet: runner.config.wallet,
    environment: environmentOf(runner.config),
    log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    pollSeconds: 1,
  });
  return {
    provider: runner.config.provider,
    stop: async () => {
      await stopMarket();
      await runner.stop();
    },
  };
}

import { environmentOf, startRunnerMarket } from '../../src/compute/runner/agent';
import type { Runner } from '../../src/compute/runner/runner';
import { createLogger } from '../../src/kernel/logger';
import { startRunner } from '../compute/runner/support';
import type { TestInstance } from './instance';

export interface BuiltInRunner {
  /** Lower-case 0x address of the runner's provider identity. */
  provider: string;
  runner: Runner;
  stop(): Promise<void>;
}

/**
 * Starts a runner serving the instance `t` the way `bourse dev` does: a pure HTTP client of the API (job claims over
 * the provider job API) with its market presence (offer, negotiation, approval through the Market API). The one
 * place tests start a runner for market-level scenarios. `env` adds `BOURSE_RUNNER_*` settings.
 */
export async function startBuiltInRunner(t: TestInstance, env: Record<string, string> = {}): Promise<BuiltInRunner> {
  const runner = await startRunner(t.url, { env });
  const stopMarket = startRunnerMarket(
    {
      api: runner.api,
      environment: environmentOf(runner.config),
      log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      pollSeconds: 1,
    },
    runner.config.provider,
  );
  return {
    provider: runner.config.provider,
    runner,
    stop: async () => {
      await stopMarket();
      await runner.stop();
    },
  };
}

import { MarketApi } from 'ya-ts-client';
import { negotiate } from '../../examples/requestor';
import type { JobSpec } from '../../src/compute/jobs';
import { environmentOf, startRunnerMarket } from '../../src/compute/runnerMarket';
import type { Runner } from '../../src/compute/worker';
import { createLogger } from '../../src/kernel/logger';
import { startRunner } from '../compute/engine/support';
import type { Party } from './identities';
import { startTestInstance, testPrefix, TestInstance } from './instance';
import { yaClient } from './yaClient';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const quiet = (): void => undefined;

/** An API instance with one live runner that negotiates on the market: what an Ocean client talks to. */
export interface OceanWorld {
  t: TestInstance;
  /** The runner's provider identity (lower-case), as GET / and computeEnvironments name it. */
  provider: string;
  /** Negotiates `spec` for `party` with the runner through ya-ts-client; resolves with the approved agreement id. */
  approvedAgreement(party: Party, spec: JobSpec): Promise<string>;
  close(): Promise<void>;
}

/**
 * THE set-up of every ocean.js test that needs a running job: a real API instance, a real runner (the bwrap
 * sandbox, commands node, sh, sleep) and the runner's market presence. When the runner becomes an HTTP client,
 * only this body changes.
 */
export async function startOceanWorld(): Promise<OceanWorld> {
  const prefix = testPrefix();
  const t = await startTestInstance({ prefix });
  const runner: Runner = await startRunner(prefix, { env: { BOURSE_RUNNER_COMMANDS: 'node,sh,sleep' } });
  const stopMarket = startRunnerMarket({
    apiUrl: t.url,
    wallet: runner.config.wallet,
    environment: environmentOf(runner.config),
    log,
    pollSeconds: 1,
  });
  return {
    t,
    provider: runner.config.provider,
    approvedAgreement: (party, spec) =>
      negotiate(yaClient(t, party).requestor as MarketApi.RequestorService, spec, quiet, 30_000),
    async close() {
      await stopMarket();
      await runner.stop();
      await t.close();
    },
  };
}

import { MarketApi } from 'ya-ts-client';
import { negotiate } from '../../examples/requestor';
import type { JobSpec } from '../../src/compute/jobs/record';
import { COMPUTE_API_ENV } from '../compute/runner/support';
import type { Party } from './identities';
import { startTestInstance, testPrefix, TestInstance } from './instance';
import { startBuiltInRunner } from './runner';
import { yaClient } from './yaClient';

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
  const t = await startTestInstance({ prefix, env: COMPUTE_API_ENV });
  const runner = await startBuiltInRunner(t, { BOURSE_RUNNER_COMMANDS: 'node,sh,sleep' });
  return {
    t,
    provider: runner.provider,
    approvedAgreement: (party, spec) =>
      negotiate(yaClient(t, party).requestor as MarketApi.RequestorService, spec, quiet, 30_000),
    async close() {
      await runner.stop();
      await t.close();
    },
  };
}

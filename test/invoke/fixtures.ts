import { ProviderTestClient } from '../compute/api/providerClient';
import { newParty, type Party } from '../support/identities';
import { startTestInstance, type TestInstance } from '../support/instance';

export const INVOKE = '/api/invoke/v1';

export const auth = (p: Party): Record<string, string> => ({ Authorization: `Bearer ${p.token}` });

/** Reads `a` from invoke.json and `b` from its own input file, so both input layouts are exercised. */
export const SUM_ALGORITHM = [
  "const fs = require('fs');",
  "const inputs = process.env.INPUTS || '/data/inputs';",
  "const outputs = process.env.OUTPUTS || '/data/outputs';",
  "const a = JSON.parse(fs.readFileSync(inputs + '/invoke.json', 'utf8')).inputs.a;",
  "const b = Number(fs.readFileSync(inputs + '/b', 'utf8'));",
  "fs.writeFileSync(outputs + '/sum', String(a + b));",
].join('\n');

/** A service whose algorithm reads the arguments `a` and `b` and writes their sum to the output `sum`. */
export function sumService(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    servicedescription: { name: 'sum', description: 'adds two numbers' },
    inputs: [
      { argname: 'a', type: 'number', mandatory: true },
      { argname: 'b', type: 'number', mandatory: true },
      { argname: 'label', type: 'string', mandatory: false },
    ],
    outputs: [{ argname: 'sum', type: 'number' }],
    free: true,
    job: {
      runtime: 'node',
      algorithm: SUM_ALGORITHM,
      maxDuration: 60,
    },
    ...overrides,
  };
}

/** An instance with a provider, a consumer, a stranger and a stand-in runner of the provider's. */
export interface InvokeWorld {
  t: TestInstance;
  provider: Party;
  consumer: Party;
  stranger: Party;
  runner: ProviderTestClient;
}

export async function startInvokeWorld(): Promise<InvokeWorld> {
  const t = await startTestInstance();
  const [provider, consumer, stranger] = await Promise.all([newParty(t), newParty(t), newParty(t)]);
  return { t, provider, consumer, stranger, runner: new ProviderTestClient(t, provider) };
}

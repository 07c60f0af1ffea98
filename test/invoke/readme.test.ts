import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import type { Runner } from '../../src/compute/runner/runner';
import { invokeExample } from '../../examples/invoke';
import { COMPUTE_API_ENV, startRunner } from '../compute/runner/support';
import { startTestInstance, type TestInstance } from '../support/instance';

describe('the README invoke example', () => {
  let t: TestInstance;
  let runner: Runner;
  const provider = Wallet.createRandom() as unknown as Wallet;

  beforeAll(async () => {
    t = await startTestInstance({ env: COMPUTE_API_ENV });
    runner = await startRunner(t.url, { privateKey: provider.privateKey });
  });
  afterAll(async () => {
    await runner.stop();
    await t.close();
  });

  it('runs: register, invoke, Completed, sum 42, proof signed by the provider; the README shows this code', async () => {
    const lines: string[] = [];
    const outcome = await invokeExample(t.url, provider, Wallet.createRandom() as unknown as Wallet, (l) =>
      lines.push(l),
    );
    expect(outcome.outputs).toEqual({ sum: 42 });
    expect(outcome.signer).toBe(provider.address.toLowerCase());
    expect(lines).toContain(`job ${outcome.jobId}: Completed`);
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const example = fs.readFileSync(path.join(__dirname, '../../examples/invoke.ts'), 'utf8');
    const block = /### Invoke[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const source = /\/\/ --- invoke example.*\n([\s\S]*?)\/\/ --- end of the invoke example/.exec(example)?.[1];
    expect(source).toBeDefined();
    expect(block).toBe(source);
  }, 60_000);
});

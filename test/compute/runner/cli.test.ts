import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Wallet } from 'ethers';
import { projectRoot } from '../../../src/kernel/paths';
import { ComputeApi, runnerEnv, tempDir } from './support';

/** Runs a TypeScript entry point of the repository as its own process, with exactly `env` (plus PATH). */
function run(file: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, file), ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function outputOf(child: ChildProcess): { text: () => string; exit: Promise<number | null> } {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { text: () => text, exit };
}

describe('`bourse runner` is a pure HTTP client of the API', () => {
  let api: ComputeApi;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    api = await ComputeApi.start();
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await api.close();
  });

  it('refuses REDIS_URL with a clear message', async () => {
    const env = runnerEnv(api.url, tempDir('work'), Wallet.createRandom().privateKey);
    const child = run('src/cli.ts', ['runner'], { ...env, REDIS_URL: 'redis://127.0.0.1:6379' });
    children.push(child);
    const { text, exit } = outputOf(child);
    expect(await exit).not.toBe(0);
    expect(text()).toContain('REDIS_URL must not be set for `bourse runner`');
    expect(text()).toContain('BOURSE_API_URL');
  });

  it(
    'with only the API URL and its key (no Redis URL), publishes its offer, wins an agreement and runs ' +
      '`npm run example` to a result',
    async () => {
      const env = runnerEnv(api.url, tempDir('work'), Wallet.createRandom().privateKey, { LOG_LEVEL: 'info' });
      expect(Object.keys(env).filter((name) => name.includes('REDIS'))).toEqual([]);
      const runner = run('src/cli.ts', ['runner'], env);
      children.push(runner);
      const runnerOutput = outputOf(runner);
      const example = run('examples/requestor.ts', [], { BOURSE_API_URL: api.url });
      children.push(example);
      const { text, exit } = outputOf(example);
      const code = await exit;
      if (code !== 0) throw new Error(`example failed:\n${text()}\nrunner:\n${runnerOutput.text()}`);
      expect(text()).toContain('5 words: HELLO FROM THE BOURSE DEMO');
      expect(text()).toMatch(/job [0-9a-f]{32}: 70 Job finished/);
      expect(runnerOutput.text()).toContain('runner offer published');
      expect(runnerOutput.text()).toContain('agreement approved');
    },
    90_000,
  );
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli as runBourse } from '../support/cli';

/** Runs `bourse <args>`; only the exit code and stderr matter here. */
function runCli(args: string[], env: Record<string, string>, timeoutMs = 20_000, nodeArgs: string[] = []) {
  return runBourse(args, { env, nodeArgs }, timeoutMs);
}

describe('configuration errors stop the process with the variable named', () => {
  it.each([
    ['PORT', 'not-a-port'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://example'],
    ['LOG_LEVEL', 'chatty'],
    ['BOURSE_BODY_LIMIT', 'huge'],
    ['BOURSE_MAX_LONG_POLL_SECONDS', '-5'],
    ['BOURSE_AUTH_SECRET', 'short'],
  ])('%s=%s', async (variable, value) => {
    const { code, stderr } = await runCli(['api'], {
      REDIS_URL: 'redis://127.0.0.1:1',
      BOURSE_AUTH_SECRET: 'x'.repeat(40),
      [variable]: value,
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(variable);
  });

  it('api without REDIS_URL names REDIS_URL', async () => {
    const { code, stderr } = await runCli(['api'], { BOURSE_AUTH_SECRET: 'x'.repeat(40) });
    expect(code).not.toBe(0);
    expect(stderr).toContain('REDIS_URL');
  });

  it('dev without redis-server on PATH says how to install it', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'bourse-path-'));
    fs.symlinkSync(process.execPath, path.join(bin, 'node')); // a PATH with node but no redis-server
    const { code, stderr } = await runCli(['dev'], { PATH: bin, BOURSE_DATA_DIR: path.join(bin, 'data') });
    expect(code).not.toBe(0);
    expect(stderr).toContain('apt-get install redis-server');
    expect(stderr).toContain('brew install redis');
    expect(stderr).toContain('REDIS_URL');
  });
});

describe('roles load only what they need', () => {
  /** The packages a command loaded, as test/support/loadedModules.cjs reports them on exit. */
  async function loadedBy(args: string[], env: Record<string, string> = {}): Promise<string[]> {
    const preload = ['-r', path.join(ROOT, 'test/support/loadedModules.cjs')];
    const { stderr } = await runCli(args, env, 20_000, preload);
    const line = stderr.split('\n').find((l) => l.startsWith('LOADED_PACKAGES '));
    if (!line) throw new Error(`no module list in: ${stderr}`);
    return JSON.parse(line.slice('LOADED_PACKAGES '.length)) as string[];
  }

  it('keygen loads neither the runner (ya-ts-client) nor a queue library nor the HTTP stack', async () => {
    const loaded = await loadedBy(['keygen']);
    expect(loaded).toContain('ethers'); // the list is real: keygen does load ethers
    for (const heavy of ['ya-ts-client', 'bullmq', 'koa', 'ioredis']) expect(loaded).not.toContain(heavy);
  });
});

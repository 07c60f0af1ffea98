import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import type { TestInstance } from '../support/instance';
import { startAuthInstance } from './support';

const root = path.resolve(__dirname, '../..');

/** Runs `bourse <args>` from source; resolves with its exit code and output. */
function bourse(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 25_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('bourse keygen and bourse token', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startAuthInstance();
  });
  afterAll(() => t.close());

  it('keygen prints a private key and the address it belongs to, as environment assignments', async () => {
    const { code, stdout } = await bourse(['keygen']);
    expect(code).toBe(0);
    const vars = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=') as [string, string]),
    );
    expect(Object.keys(vars).sort()).toEqual(['BOURSE_ADDRESS', 'BOURSE_PRIVATE_KEY']);
    expect(vars.BOURSE_PRIVATE_KEY).toMatch(/^0x[0-9a-f]{64}$/);
    expect(new Wallet(vars.BOURSE_PRIVATE_KEY).address).toBe(vars.BOURSE_ADDRESS);
  });

  it(
    'token mints a working token for the key in BOURSE_PRIVATE_KEY, then for a key file (fresh nonce ' + 'each time)',
    async () => {
      const wallet = Wallet.createRandom();
      const fromEnv = await bourse(['token', '--url', t.url, '--expires-in', '600'], {
        BOURSE_PRIVATE_KEY: wallet.privateKey,
      });
      expect(fromEnv.stderr).toBe('');
      expect(fromEnv.code).toBe(0);
      const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bourse-key-')), 'key');
      fs.writeFileSync(keyFile, `${wallet.privateKey}\n`);
      const fromFile = await bourse(['token', '--url', t.url, '--key-file', keyFile]);
      expect(fromFile.code).toBe(0);

      for (const token of [fromEnv.stdout.trim(), fromFile.stdout.trim()]) {
        const res = await t.request.get('/test/market').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ identity: wallet.address.toLowerCase() });
      }
      expect((await t.request.get('/api/services/nonce').query({ userAddress: wallet.address })).body).toEqual({
        nonce: 2,
      });
    },
  );

  it('token without a key, or with a lifetime beyond the maximum, fails with a message', async () => {
    const noKey = await bourse(['token', '--url', t.url]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('BOURSE_PRIVATE_KEY');
    const tooLong = await bourse(['token', '--url', t.url, '--expires-in', String(400 * 24 * 3600)], {
      BOURSE_PRIVATE_KEY: Wallet.createRandom().privateKey,
    });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('a token may live at most');
  });
});

describe('bourse app-key create / list / drop', () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startAuthInstance();
  });
  afterAll(() => t.close());

  it('creates a key that works, lists it, drops it by name; it stops working', async () => {
    const wallet = Wallet.createRandom();
    const env = { BOURSE_PRIVATE_KEY: wallet.privateKey };
    const created = await bourse(['app-key', 'create', 'golem', '--url', t.url], env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    const auth = () => t.request.get('/test/market').set('Authorization', `Bearer ${key}`);
    expect((await auth()).body).toEqual({ identity: wallet.address.toLowerCase() });

    const listed = await bourse(['app-key', 'list', '--url', t.url], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\t').slice(0, 2)).toEqual(['golem', key]);

    const duplicate = await bourse(['app-key', 'create', 'golem', '--url', t.url], env);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already exists');

    const dropped = await bourse(['app-key', 'drop', 'golem', '--url', t.url], env);
    expect(dropped.code).toBe(0);
    expect((await auth()).status).toBe(401);
    expect((await bourse(['app-key', 'list', '--url', t.url], env)).stdout).toBe('');
  });

  it('without a key it fails with a hint', async () => {
    const res = await bourse(['app-key', 'create', 'x', '--url', t.url]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('BOURSE_PRIVATE_KEY');
  });
});

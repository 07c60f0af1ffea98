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

import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { Wallet } from 'ethers';
import { SignJWT } from 'jose';
import { freePort } from '../../src/store/embeddedRedis';
import { spawnCli } from '../support/cli';
import { TEST_AUTH_SECRET, testPrefix, testRedisUrl } from '../support/instance';
import { until } from '../support/wait';

function get(port: number, pathAndQuery: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: pathAndQuery,
        agent: false,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

describe('SIGTERM with open long-polls', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('answers all 100 waiting calls with their empty result and exits 0 within 5 s', async () => {
    const port = await freePort();
    child = spawnCli(['api'], {
      env: {
        REDIS_URL: testRedisUrl(),
        BOURSE_AUTH_SECRET: TEST_AUTH_SECRET,
        BOURSE_KEY_PREFIX: testPrefix(),
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await until(async () => (await get(port, '/ready').catch(() => undefined))?.status === 200, 'ready', 20_000, 50);

    const secret = new TextEncoder().encode(TEST_AUTH_SECRET);
    const tokens = await Promise.all(
      Array.from({ length: 100 }, () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(Wallet.createRandom().address.toLowerCase())
          .setJti(Math.random().toString(36))
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(secret),
      ),
    );
    const polls = tokens.map((token) => get(port, '/market-api/v1/agreementEvents?timeout=60', token));
    await until(
      async () => /bourse_long_polls_open 100\b/.test((await get(port, '/metrics')).body),
      '100 open long-polls',
      20_000,
      50,
    );

    const signalled = Date.now();
    child.kill('SIGTERM');
    const answers = await Promise.all(polls);
    expect(answers.every((a) => a.status === 200 && a.body === '[]')).toBe(true);
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
  });
});

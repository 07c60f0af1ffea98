import http from 'node:http';
import { freePort } from '../../src/store/embeddedRedis';
import { spawnCli } from '../support/cli';
import { TEST_AUTH_SECRET, testPrefix, testRedisUrl } from '../support/instance';
import { until } from '../support/wait';

function status(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}

/** pino levels: 40 warn, 50 error, 60 fatal. */
const WARN = 40;

describe('a clean start', () => {
  it('of the api logs nothing at warn or above, from start to ready and through SIGTERM', async () => {
    const port = await freePort();
    const child = spawnCli(['api'], {
      env: {
        REDIS_URL: testRedisUrl(),
        BOURSE_AUTH_SECRET: TEST_AUTH_SECRET,
        BOURSE_KEY_PREFIX: testPrefix(),
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await until(async () => (await status(port, '/ready')) === 200, 'the api to be ready', 20_000, 50);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    const records = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(records.some((r) => r.msg === 'bourse api listening')).toBe(true); // the log was captured
    expect(records.filter((r) => r.level >= WARN)).toEqual([]);
  });
});

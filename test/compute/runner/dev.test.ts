import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../src/kernel/paths';
import { freePort } from '../../../src/store/embeddedRedis';
import { until } from '../../support/wait';
import { tempDir } from './support';

interface LogLine {
  level: number;
  msg: string;
}

/** `bourse dev` as its own process with `PATH` (its embedded Redis and its runner both need programs from it). */
async function startDev(pathDirs: string): Promise<{ child: ChildProcess; url: string; lines: () => LogLine[] }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli.ts'), 'dev'], {
    cwd: projectRoot,
    env: { PATH: pathDirs, HOME: process.env.HOME ?? '/tmp', PORT: String(port), BOURSE_DATA_DIR: tempDir('dev') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const lines = (): LogLine[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  const url = `http://127.0.0.1:${port}`;
  await until(
    () =>
      fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      ),
    `bourse dev to be ready\n${out}`,
    30_000,
    50,
  );
  return { child, url, lines };
}

/** A directory holding only links to the given programs, to stand for a PATH where others are not installed. */
function pathWith(programs: string[]): string {
  const dir = tempDir('bin');
  for (const program of programs) fs.symlinkSync(program, path.join(dir, path.basename(program)));
  return dir;
}

describe('`bourse dev`', () => {
  const children: ChildProcess[] = [];
  // SIGTERM: `bourse dev` stops its embedded redis-server on the way out (SIGKILL would leave it running).
  afterAll(async () => {
    await Promise.all(
      children.map((child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        return exited;
      }),
    );
  });

  it('without bubblewrap keeps the market up, the runner off, and says once how to install it', async () => {
    const dev = await startDev(pathWith(['/usr/bin/redis-server']));
    children.push(dev.child);
    const ready = (await (await fetch(`${dev.url}/ready`)).json()) as { runner?: string };
    expect(ready).toEqual({
      status: 'ready',
      runner: expect.stringMatching(/^disabled: bubblewrap \(bwrap\) is not installed/),
    });
    expect(ready.runner).toContain('sudo apt-get install bubblewrap');
    expect(await (await fetch(`${dev.url}/api/services/computeEnvironments`)).json()).toEqual([]);
    const loud = dev.lines().filter((l) => l.level >= 40);
    expect(loud).toHaveLength(1);
    expect(loud[0].msg).toContain('sudo apt-get install bubblewrap');
  });

  it('with bubblewrap starts its runner (over loopback HTTP) and logs no warning', async () => {
    const dev = await startDev(process.env.PATH ?? '/usr/bin:/bin');
    children.push(dev.child);
    expect(await (await fetch(`${dev.url}/ready`)).json()).toEqual({ status: 'ready' });
    await until(
      async () =>
        ((await (await fetch(`${dev.url}/api/services/computeEnvironments`)).json()) as unknown[]).length === 1,
      'the runner to announce itself',
      20_000,
      50,
    );
    await until(() => dev.lines().some((l) => l.msg === 'runner offer published'), 'the runner offer', 20_000, 50);
    expect(dev.lines().filter((l) => l.level >= 40)).toEqual([]);
  });
});

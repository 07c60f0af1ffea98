import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { projectRoot } from '../../../src/kernel/paths';
import type { Runner } from '../../../src/compute/runner/runner';
import { ComputeApi, runnerEnv, startRunner, tempDir, testPrefix } from './support';

const STALL_MS = 3000;

function processesWith(marker: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
      } catch {
        return false;
      }
    });
}

/** `bourse runner` as its own OS process (so it can be SIGKILLed like a crashed machine), with no Redis URL. */
function spawnRunner(env: Record<string, string>): { child: ChildProcess; stderr: () => string } {
  const inherited = { ...process.env };
  delete inherited.REDIS_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli.ts'), 'runner'], {
    cwd: projectRoot,
    // No market for this runner: keep its offer off the market (its jobs come from the provider job API).
    env: { ...inherited, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, stderr: () => stderr };
}

function sleepingJob(marker: string) {
  return {
    runtime: 'sh',
    entrypoint: ['sh', '$ALGO'],
    algorithm: `echo "started on $HOME"; sleep ${marker}; echo finished > "$OUTPUTS/out.txt"`,
    maxDurationSeconds: 30,
  };
}

describe('a runner SIGKILLed mid-job', () => {
  const prefix = testPrefix();
  let api: ComputeApi;
  const children: ChildProcess[] = [];
  const runners: Runner[] = [];

  beforeAll(async () => {
    api = await ComputeApi.start({ prefix });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const runner of runners) await runner.stop();
    await api.close();
  });

  it('is detected within the stall interval and its job is redone by another runner to 70', async () => {
    const privateKey = Wallet.createRandom().privateKey;
    const provider = new Wallet(privateKey).address.toLowerCase();
    const marker = `2.${Date.now() % 1000000}`;
    const jobId = await api.dispatch(provider, sleepingJob(marker));

    const workDirA = tempDir('work-a');
    const a = spawnRunner(
      runnerEnv(api.url, workDirA, privateKey, {
        BOURSE_RUNNER_ID: 'runner-a',
        BOURSE_RUNNER_STALL_INTERVAL_MS: String(STALL_MS),
      }),
    );
    children.push(a.child);
    const running = await api
      .waitFor(jobId, (job) => job.status === 40, 30_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}\nrunner-a stderr: ${a.stderr()}`);
      });
    expect(running.runnerId).toBe('runner-a');
    await api.waitForLog(jobId, 'started');
    const orphans = processesWith(`sleep ${marker}`);
    expect(orphans.length).toBe(1);
    expect(fs.readdirSync(workDirA)).toEqual([jobId]);

    const b = await startRunner(api.url, {
      privateKey,
      env: { BOURSE_RUNNER_ID: 'runner-b', BOURSE_RUNNER_STALL_INTERVAL_MS: String(STALL_MS) },
    });
    runners.push(b);
    const killedAt = Date.now();
    a.child.kill('SIGKILL');

    const resumed = await api.waitFor(jobId, (job) => job.runnerId === 'runner-b', 15_000);
    const detectedMs = Date.now() - killedAt;
    expect(detectedMs).toBeLessThan(STALL_MS + 1000); // the configured bound, plus scheduling slack on a busy machine
    expect(resumed.previousRunnerId).toBe('runner-a');
    // The killed runner's sandbox died with it (bwrap --die-with-parent).
    for (const pid of orphans) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);

    const done = await api.waitForEnd(jobId, 20_000);
    expect(done.status).toBe(70);
    expect(done.exitCode).toBe(0);
    expect(done.runnerId).toBe('runner-b');
    expect(done.step).toMatch(/^70@runner-b/);
    const out = done.results.find((r) => r.filename === 'out.txt');
    expect((await api.readResult(jobId, out?.index ?? -1))?.bytes.toString()).toBe('finished\n');
    expect((await api.store.readLog(jobId)).tail.toString()).toContain(
      'runner runner-a was lost at status 40; runner runner-b redoes the job',
    );

    // Nothing left behind: runner-a, restarted on its work dir, removes the workspace of the job it no longer holds.
    expect(fs.readdirSync(workDirA)).toEqual([jobId]);
    const restarted = await startRunner(api.url, {
      privateKey,
      env: { BOURSE_RUNNER_ID: 'runner-a', BOURSE_RUNNER_WORK_DIR: workDirA },
    });
    runners.push(restarted);
    expect(fs.readdirSync(workDirA)).toEqual([]);
  });

  it('with no other runner of its provider alive, fails its job with the reason within the stall interval', async () => {
    const privateKey = Wallet.createRandom().privateKey;
    const provider = new Wallet(privateKey).address.toLowerCase();
    const marker = `3.${Date.now() % 1000000}`;
    const jobId = await api.dispatch(provider, sleepingJob(marker));
    const only = spawnRunner(
      runnerEnv(api.url, tempDir('work-only'), privateKey, {
        BOURSE_RUNNER_ID: 'runner-only',
        BOURSE_RUNNER_STALL_INTERVAL_MS: String(STALL_MS),
      }),
    );
    children.push(only.child);
    await api
      .waitFor(jobId, (job) => job.status === 40, 30_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}\nrunner stderr: ${only.stderr()}`);
      });
    await api.waitForLog(jobId, 'started');
    const killedAt = Date.now();
    only.child.kill('SIGKILL');

    const failed = await api.waitForEnd(jobId, 15_000);
    expect(Date.now() - killedAt).toBeLessThan(STALL_MS + 1000);
    expect(failed.status).toBe(41);
    expect(failed.reason).toBe(
      `runner runner-only stopped heart-beating at status 40 (Running algorithm), and no other runner of provider ${provider} is alive`,
    );
  });
});

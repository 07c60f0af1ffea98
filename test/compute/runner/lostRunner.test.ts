import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { projectRoot } from '../../../src/kernel/paths';
import type { Runner } from '../../../src/compute/worker';
import { Dispatcher, runnerEnv, startRunner, tempDir, testPrefix } from './support';

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

/** `bourse runner` as its own OS process (so it can be SIGKILLed like a crashed machine). */
function spawnRunner(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli.ts'), 'runner'], {
    cwd: projectRoot,
    // No market for this runner: keep it from publishing an offer to whatever API listens on the default port.
    env: { ...process.env, BOURSE_API_URL: 'http://127.0.0.1:9', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

describe('a runner SIGKILLed mid-job', () => {
  const prefix = testPrefix();
  let dispatcher: Dispatcher;
  let child: ChildProcess | undefined;
  let second: Runner | undefined;

  beforeAll(async () => {
    dispatcher = await Dispatcher.open(prefix);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await second?.stop();
    await dispatcher.close();
  });

  it('is detected within the stall interval and its job is redone by another runner to 70', async () => {
    const privateKey = Wallet.createRandom().privateKey;
    const provider = new Wallet(privateKey).address.toLowerCase();
    const marker = `2.${Date.now() % 1000000}`;
    const algorithm = `echo "started on $HOME"; sleep ${marker}; echo finished > "$OUTPUTS/out.txt"`;
    const jobId = await dispatcher.dispatch(provider, {
      runtime: 'sh',
      entrypoint: ['sh', '$ALGO'],
      algorithm,
      maxDurationSeconds: 30,
    });

    child = spawnRunner(
      runnerEnv(prefix, tempDir('work-a'), privateKey, {
        BOURSE_RUNNER_ID: 'runner-a',
        BOURSE_RUNNER_STALL_INTERVAL_MS: String(STALL_MS),
      }),
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const running = await dispatcher
      .waitFor(jobId, (job) => job.status === 40, 30_000)
      .catch((err) => {
        throw new Error(`${(err as Error).message}\nrunner-a stderr: ${stderr}`);
      });
    expect(running.runnerId).toBe('runner-a');
    await dispatcher.waiter.poll([dispatcher.keys.jobLog(jobId)], 10_000, undefined, async () =>
      (await dispatcher.store.readLog(jobId)).tail.toString().includes('started') ? true : undefined,
    );
    const orphans = processesWith(`sleep ${marker}`);
    expect(orphans.length).toBe(1);

    second = await startRunner(prefix, {
      privateKey,
      env: { BOURSE_RUNNER_ID: 'runner-b', BOURSE_RUNNER_STALL_INTERVAL_MS: String(STALL_MS) },
    });
    const killedAt = Date.now();
    child.kill('SIGKILL');

    const resumed = await dispatcher.waitFor(jobId, (job) => job.runnerId === 'runner-b', 15_000);
    const detectedMs = Date.now() - killedAt;
    expect(detectedMs).toBeLessThan(STALL_MS + 1000); // the configured bound, plus scheduling slack on a busy machine
    expect(resumed.step).toMatch(/@runner-b/);
    // The killed runner's sandbox died with it (bwrap --die-with-parent).
    for (const pid of orphans) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);

    const done = await dispatcher.waitForEnd(jobId, 20_000);
    expect(done.status).toBe(70);
    expect(done.exitCode).toBe(0);
    expect(done.runnerId).toBe('runner-b');
    const out = done.results.find((r) => r.filename === 'out.txt');
    expect((await dispatcher.store.readResult(jobId, out?.index ?? -1))?.bytes.toString()).toBe('finished\n');
    expect((await dispatcher.store.readLog(jobId)).tail.toString()).toContain(
      'runner runner-a was lost at status 40; runner runner-b redoes the job',
    );
  });
});

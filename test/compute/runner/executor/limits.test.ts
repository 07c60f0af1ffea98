import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessExecutor, RunLimits, RunOutcome } from '../../../../src/compute/runner/executor/process';
import { PidsCgroup } from '../../../../src/compute/runner/executor/pidsCgroup';
import { processTree } from '../../../../src/compute/runner/executor/processTree';
import { createSandbox, findExecutable } from '../../../../src/compute/runner/executor/sandbox';
import { Workspace, readRegularFile } from '../../../../src/compute/runner/executor/workspace';

const MiB = 1024 * 1024;
/** An algorithm whose workspace loses its inputs folder, so that the sandbox cannot be set up. */
const BROKEN = 'echo never';
const TMPFS_MAGIC = 0x01021994;

/** What the test saw of the job's processes while it ran, measured from the host independently of the executor. */
interface Watch {
  peakTasks: number;
  peakDataBytes: number;
  /** Descendants of this process (not there before the job) once the run returned. */
  leftOver: number;
}

function tasksOf(pid: number): number {
  try {
    const match = /^Threads:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

/** Bytes in use of the sandbox's /data, seen through a sandboxed process; undefined when it is not there. */
function dataBytes(pid: number): number | undefined {
  try {
    const stat = fs.statfsSync(`/proc/${pid}/root/data`);
    if (stat.type !== TMPFS_MAGIC) return undefined;
    return (stat.blocks - stat.bfree) * stat.bsize;
  } catch {
    return undefined;
  }
}

describe('executor limits with the bwrap sandbox', () => {
  const sandbox = createSandbox('bwrap', []);
  const executor = new ProcessExecutor(sandbox);
  const sh = findExecutable('sh') as string;
  const node = findExecutable('node') as string;
  const bash = findExecutable('bash') as string;
  // Whether this host lets the runner create a pids cgroup per job (root with a pids hierarchy).
  const probe = PidsCgroup.create(1);
  const cgroupsHere = probe !== undefined;
  void probe?.remove();
  let root: string;
  let jobs = 0;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bourse-limits-'));
    fs.chmodSync(root, 0o755); // the sandbox user must reach the job directory to mount it
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  async function run(
    argv: (algorithm: string) => string[],
    algorithm: string,
    limits: Partial<RunLimits>,
  ): Promise<{ outcome: RunOutcome; log: string; workspace: Workspace; watch: Watch }> {
    const workspace = new Workspace(root, `job-${++jobs}`);
    await workspace.prepare(sandbox.workspaceOwner);
    fs.writeFileSync(workspace.algorithmFile, algorithm, { mode: 0o644 });
    if (algorithm === BROKEN) fs.rmSync(workspace.inputs, { recursive: true });
    const before = new Set(await processTree(process.pid));
    const watch: Watch = { peakTasks: 0, peakDataBytes: 0, leftOver: 0 };
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling) return;
      sampling = true;
      void processTree(process.pid)
        .then((pids) => {
          const job = pids.filter((pid) => !before.has(pid));
          watch.peakTasks = Math.max(
            watch.peakTasks,
            job.map(tasksOf).reduce((a, b) => a + b, 0),
          );
          for (const pid of job) watch.peakDataBytes = Math.max(watch.peakDataBytes, dataBytes(pid) ?? 0);
        })
        .finally(() => {
          sampling = false;
        });
    }, 10);
    let log = '';
    const outcome = await executor.run({
      workspace,
      argv: argv('/data/transformations/algorithm'),
      env: { PATH: '/usr/bin:/bin', OUTPUTS: '/data/outputs' },
      limits: {
        memoryBytes: 512 * MiB,
        cpuSeconds: 60,
        wallClockMs: 5_000,
        diskBytes: 64 * MiB,
        maxLogBytes: MiB,
        ...limits,
      },
      signal: new AbortController().signal,
      onLog: (chunk) => {
        log += chunk.toString();
      },
    });
    clearInterval(sampler);
    watch.leftOver = (await processTree(process.pid)).filter((pid) => !before.has(pid)).length;
    return { outcome, log, workspace, watch };
  }

  it('ends a fork bomb at the process limit, with the process-limit reason, and leaves nothing behind', async () => {
    // A binary tree of depth 12 would be 8191 processes; leaves sleep so the tree stays up, and bash retries a
    // refused fork, so the tree keeps pressing against the limit.
    const bomb = 'b() { if [ "$1" -gt 0 ]; then b $(($1-1)) & b $(($1-1)) & wait; else sleep 60; fi; }\nb 12\n';
    const { outcome, log, watch } = await run((algo) => [bash, algo], bomb, { maxProcesses: 64 });
    console.log('bash fork bomb', { ...watch, peakProcesses: outcome.peakProcesses, durationMs: outcome.durationMs });
    expect(outcome.killedFor).toBe('processes');
    expect(log).toContain('process limit of 64 reached: the algorithm was killed');
    expect(watch.peakTasks).toBeGreaterThanOrEqual(32);
    expect(watch.peakTasks).toBeLessThanOrEqual(64);
    expect(outcome.peakProcesses).toBeLessThanOrEqual(64);
    expect(outcome.durationMs).toBeLessThan(10_000);
    expect(watch.leftOver).toBe(0);
  });

  it('bounds a fork bomb whose shells die of a refused fork; the reason comes from the pids cgroup', async () => {
    // dash exits when a fork is refused, so this tree collapses under the limit as fast as it grows.
    const bomb = 'b() { if [ "$1" -gt 0 ]; then b $(($1-1)) & b $(($1-1)) & wait; else sleep 60; fi; }\nb 12 &\nwait\n';
    const { outcome, log, watch } = await run((algo) => [sh, algo], bomb, { maxProcesses: 64 });
    console.log('sh fork bomb', { ...watch, peakProcesses: outcome.peakProcesses, durationMs: outcome.durationMs });
    // The collapse is too fast for a sampler to see its peak; the cgroup's count of the peak is exact.
    expect(watch.peakTasks).toBeLessThanOrEqual(64);
    expect(outcome.peakProcesses).toBeLessThanOrEqual(64);
    expect(watch.leftOver).toBe(0);
    if (cgroupsHere) {
      expect(outcome.peakProcesses).toBe(64);
      expect(outcome.killedFor).toBe('processes');
      expect(outcome.durationMs).toBeLessThan(10_000);
    } else {
      // Without a pids cgroup (a runner that is not root) only the rlimit holds: the entrypoint's child dies of
      // a refused fork, the entrypoint's wait returns, and the job ends on its own with the shell's complaint.
      expect(outcome.killedFor).toBeUndefined();
      expect(log).toContain('Cannot fork');
    }
  });

  it('refuses writes beyond the disk limit and ends the job with the disk reason', async () => {
    // Six files of half the limit each: three times the limit, every file under RLIMIT_FSIZE.
    const flood =
      'i=0; while [ $i -lt 6 ]; do head -c 8388608 /dev/zero > /data/outputs/f$i; echo "f$i: $?"; i=$((i+1)); done\n' +
      'head -c 4194304 /dev/zero > /tmp/t; echo "tmp: $?"; sleep 30\n';
    const { outcome, log, workspace, watch } = await run((algo) => [sh, algo], flood, { diskBytes: 16 * MiB });
    console.log('disk flood', {
      ...watch,
      diskBytesUsed: outcome.diskBytesUsed,
      limit: 16 * MiB,
      durationMs: outcome.durationMs,
    });
    expect(outcome.killedFor).toBe('disk');
    expect(log).toContain('disk limit of 16 MiB reached');
    expect(log).toMatch(/No space left on device/);
    expect(watch.peakDataBytes).toBeGreaterThan(15 * MiB);
    expect(watch.peakDataBytes).toBeLessThanOrEqual(16 * MiB);
    expect(outcome.diskBytesUsed).toBeLessThanOrEqual(16 * MiB);
    // What reached the host is the copied outputs, within the limit too.
    const copied = (await workspace.outputFiles()).reduce((sum, file) => sum + file.size, 0);
    expect(copied).toBeGreaterThan(15 * MiB - 4 * MiB);
    expect(copied).toBeLessThanOrEqual(16 * MiB);
    expect(watch.leftOver).toBe(0);
  });

  it('disables user namespaces inside the sandbox: unshare -r fails', async () => {
    expect(sandbox.userNamespacesDisabled).toBe(true);
    const script = 'unshare -r id > /data/outputs/id 2>&1; echo $? > /data/outputs/status\n';
    const { outcome, workspace } = await run((algo) => [sh, algo], script, {});
    expect(outcome.exitCode).toBe(0);
    const status = (await readRegularFile(path.join(workspace.outputs, 'status'))).toString().trim();
    expect(status).not.toBe('0');
    expect((await readRegularFile(path.join(workspace.outputs, 'id'))).toString()).not.toMatch(/uid=0/);
  });

  it('runs an ordinary job within its limits and its outputs are read back after the run', async () => {
    const algorithm = `
      const fs = require('fs');
      const { execFileSync } = require('child_process');
      fs.mkdirSync('/data/outputs/nested');
      fs.writeFileSync('/data/outputs/result.json', JSON.stringify({ sum: 1 + 2 }));
      fs.writeFileSync('/data/outputs/nested/part.txt', execFileSync('sh', ['-c', 'echo child ran']));
      fs.writeFileSync('/tmp/scratch', 'x');
      fs.writeFileSync('/dev/shm/segment', 'x');
      fs.symlinkSync('/etc/passwd', '/data/outputs/link');
      console.log('done');
    `;
    const { outcome, log, workspace, watch } = await run((algo) => [node, algo], algorithm, {});
    expect(log).toContain('done');
    expect(outcome).toMatchObject({ exitCode: 0, killedFor: undefined, spawnError: undefined });
    const files = await workspace.outputFiles();
    expect(files.map((f) => f.filename)).toEqual(['nested/part.txt', 'result.json']);
    expect(JSON.parse((await readRegularFile(path.join(workspace.outputs, 'result.json'))).toString())).toEqual({
      sum: 3,
    });
    expect((await readRegularFile(path.join(workspace.outputs, 'nested/part.txt'))).toString()).toBe('child ran\n');
    expect(watch.leftOver).toBe(0);
  });

  it('a sandbox that cannot be set up ends the run at once with the reason', async () => {
    const { outcome, log, watch } = await run((algo) => [sh, algo], BROKEN, {});
    expect(outcome.spawnError).toBe('the sandbox could not be set up: the sandbox exited while setting up');
    expect(log).toContain("Can't find source path");
    expect(log).not.toContain('never');
    expect(outcome.durationMs).toBeLessThan(5000);
    expect(watch.leftOver).toBe(0);
  });
});

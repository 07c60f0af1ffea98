import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { once } from 'node:events';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { CappedLog, type OutputStream } from './cappedLog';
import { JobTree } from './jobTree';
import { PidsCgroup } from './pidsCgroup';
import { directorySize, killTree, processTree, treeUsage, waitForExit } from './processTree';
import { findExecutable, INFO_FD, RELEASE_FD, Sandbox } from './sandbox';
import { emptyDirectory } from './treeCopy';
import { Workspace } from './workspace';

export interface RunLimits {
  /** Resident memory of the whole process tree; beyond it the tree is killed. */
  memoryBytes: number;
  /** CPU seconds per process (RLIMIT_CPU). */
  cpuSeconds: number;
  wallClockMs: number;
  /** Bytes the job directory may hold (also the largest single file, RLIMIT_FSIZE). */
  diskBytes: number;
  /** Size cap of logs/algorithm.log (and of what is forwarded live). */
  maxLogBytes: number;
  /** Processes and threads the job may have at once (DEFAULT_MAX_PROCESSES when unset); reaching it ends the job. */
  maxProcesses?: number;
}

export const DEFAULT_MAX_PROCESSES = 256;

export type KillReason = 'timeout' | 'memory' | 'disk' | 'processes' | 'stop';

export interface RunOutcome {
  /** Exit code, or 128 + signal number when the process died of a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  /** Set when the runner killed the tree, and why. */
  killedFor: KillReason | undefined;
  /** The process could not be started at all. */
  spawnError: string | undefined;
  durationMs: number;
  /** Most processes and threads the tree was seen with at once (sampled). */
  peakProcesses: number;
  /** Bytes the job's writable tree held at the end (sampled size of the job directory without a sized tree). */
  diskBytesUsed: number;
  /** CPU time of the sandboxed processes (user + system): exact with `measureCpu`, else the last /proc sample. */
  cpuMs: number;
}

export interface RunRequest {
  workspace: Workspace;
  /** argv; argv[0] is an absolute path on the runner. */
  argv: string[];
  env: Record<string, string>;
  limits: RunLimits;
  /** Aborting kills the tree (a stop request, or the job vanished). */
  signal: AbortSignal;
  /** Live copy of the captured output (within the log cap), with the stream it came from. */
  onLog(chunk: Buffer, stream: OutputStream): void;
  /**
   * The workspace's writable files outlive the run (an activity's workspace): with a sized tree they are copied into
   * it before the algorithm starts and back out after every process of the run is gone.
   */
  persistent?: boolean;
  /** The CPU time sampled so far, each time it grew (for usage while the run goes on). */
  onCpu?(cpuMs: number): void;
  /**
   * Measure CPU time to the tick: a shell inside the sandbox runs argv and reports the time of its children (the
   * pid namespace's init does not pass its children's times on). Without it, or when the tree was killed, the time
   * is the last /proc sample's.
   */
  measureCpu?: boolean;
}

/** Where the CPU-time reporting shell writes; argv runs with it closed. */
const TIMES_FD = 5;
const TIMES_SCRIPT = `"$@" ${TIMES_FD}>&-; s=$?; times >&${TIMES_FD}; exit $s`;

/** CPU ms from `times` output: its second line is the user and system time of the shell's children. */
function parseTimes(text: string): number | undefined {
  const values = [...text.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
  return values.length >= 4 ? Math.round(values[2] + values[3]) : undefined;
}

const MEMORY_SAMPLE_MS = 100;
const SANDBOX_EXIT_WAIT_MS = 5000;
const DISK_SAMPLE_EVERY = 10;
/**
 * The hard address-space backstop is looser than the sampled RSS limit, so that a growing tree is caught by the
 * sampler with a clear reason.
 */
const DATA_RLIMIT_FACTOR = 2;

/**
 * The default executor: runs the entrypoint as a child process (no shell) inside the sandbox, under rlimits
 * (prlimit), with a wall-clock deadline, a sampled memory and disk limit, output captured with a size cap,
 * and a kill of the whole process tree on stop, timeout or limit.
 */
export class ProcessExecutor {
  private readonly prlimit: string;
  private readonly shell: string;

  constructor(readonly sandbox: Sandbox) {
    const prlimit = findExecutable('prlimit');
    if (!prlimit)
      throw new Error(
        'prlimit (util-linux) is not installed: the runner needs it to limit memory and CPU time of jobs',
      );
    this.prlimit = prlimit;
    this.shell = findExecutable('sh') ?? '/bin/sh';
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const { workspace, limits } = request;
    const maxProcesses = limits.maxProcesses ?? DEFAULT_MAX_PROCESSES;
    const started = Date.now();
    // The job's tasks as seen from the runner include bubblewrap's monitor, which runs outside the job's user
    // namespace and so outside the rlimit: the rlimit allows one task fewer. A pids cgroup counts the monitor
    // too; the rlimit then allows the full number so that the cgroup is the one to refuse a fork, and records it.
    const candidate = this.sandbox.kind === 'bwrap' ? PidsCgroup.create(maxProcesses) : undefined;
    const measured = request.measureCpu === true;
    const launch = this.sandbox.launch(workspace, request.argv, request.env, {
      maxProcesses: candidate ? maxProcesses : maxProcesses - 1,
      diskBytes: limits.diskBytes,
      wrapper: measured ? [this.shell, '-c', TIMES_SCRIPT, 'sh'] : undefined,
    });
    // The job can join a cgroup only while its sandbox waits to start the algorithm.
    const cgroup = launch.holdsTree ? candidate : undefined;
    if (candidate && !cgroup) await candidate.remove();
    const rlimits = [
      `--data=${limits.memoryBytes * DATA_RLIMIT_FACTOR}`,
      `--cpu=${Math.max(1, Math.ceil(limits.cpuSeconds))}`,
      `--fsize=${limits.diskBytes}`,
      '--core=0',
      '--nofile=1024',
    ];
    // One log per run: an activity's runs each capture their own output.
    if (request.persistent) await fs.truncate(workspace.logFile, 0);
    const log = new CappedLog(workspace.logFile, limits.maxLogBytes, request.onLog);
    const command = [this.prlimit, ...rlimits, '--', launch.file, ...launch.args];
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe'];
    if (launch.holdsTree || measured)
      stdio.push(launch.holdsTree ? 'pipe' : 'ignore', launch.holdsTree ? 'pipe' : 'ignore');
    if (measured) stdio.push('pipe'); // TIMES_FD
    let times = '';
    const child = spawn(command[0], command.slice(1), {
      cwd: launch.cwd,
      env: launch.env,
      uid: launch.uid,
      gid: launch.gid,
      detached: true,
      stdio,
    });
    let killedFor: KillReason | undefined;
    const kill = (why: KillReason): void => {
      if (killedFor || child.pid === undefined) return;
      killedFor = why;
      void killTree(child.pid);
    };
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk, 'stdout'));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk, 'stderr'));
    if (measured)
      (child.stdio as unknown as Readable[])[TIMES_FD].on('data', (chunk: Buffer) => (times += chunk.toString()));
    const closed = once(child, 'close').catch(() => undefined);
    const gone = new AbortController();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    }).finally(() => gone.abort());

    let tree: JobTree | undefined;
    let setupError: string | undefined;
    if (launch.holdsTree && child.pid !== undefined) {
      const pid = child.pid;
      const info = child.stdio[INFO_FD] as Readable;
      const release = child.stdio[RELEASE_FD] as Writable;
      release.on('error', () => undefined); // the sandbox may be gone already; its exit reports why
      // Everything of the job that exists before the release (it forks nothing meanwhile) joins the cgroup.
      const beforeRelease = async (opened: JobTree): Promise<void> => {
        cgroup?.add(await processTree(pid));
        if (request.persistent) await opened.restore(workspace.dir, Workspace.MOUNTED, launch);
      };
      tree = await JobTree.attach(info, release, beforeRelease, gone.signal).catch((err: Error) => {
        setupError = `the sandbox could not be set up: ${err.message}`;
        void killTree(child.pid as number);
        return undefined;
      });
    }

    const onAbort = (): void => kill('stop');
    request.signal.addEventListener('abort', onAbort, { once: true });
    if (request.signal.aborted) kill('stop');
    const deadline = setTimeout(() => kill('timeout'), Math.max(0, limits.wallClockMs - (Date.now() - started)));
    let ticks = 0;
    let sampling = false;
    let peakProcesses = 0;
    let sampledCpuMs = 0;
    const sampler = setInterval(() => {
      if (child.pid === undefined || killedFor) return;
      // The exact, cheap signals on every tick, even while a tree walk is still under way: walking a tree that a
      // fork bomb churns is slow and can fail tick after tick.
      if ((cgroup?.refusals() ?? 0) > 0) return kill('processes');
      if (tree?.usage().full) return kill('disk');
      if (sampling) return;
      sampling = true;
      const pid = child.pid;
      const checkDirectory = ++ticks % DISK_SAMPLE_EVERY === 0;
      void (async () => {
        const usage = await treeUsage(pid, measured || request.onCpu !== undefined);
        if (usage.cpuMs > sampledCpuMs) {
          sampledCpuMs = usage.cpuMs;
          if (!gone.signal.aborted) request.onCpu?.(sampledCpuMs);
        }
        peakProcesses = Math.max(peakProcesses, usage.tasks);
        if (usage.rssBytes > limits.memoryBytes) kill('memory');
        else if (usage.tasks >= maxProcesses) kill('processes');
        else if (!tree && checkDirectory && (await directorySize(workspace.dir)) > limits.diskBytes) kill('disk');
      })()
        .catch(() => undefined)
        .finally(() => {
          sampling = false;
        });
    }, MEMORY_SAMPLE_MS);

    const result = await exited;
    clearTimeout(deadline);
    clearInterval(sampler);
    request.signal.removeEventListener('abort', onAbort);
    // Whatever the entrypoint left behind (background children) goes with it.
    if (child.pid !== undefined) await killTree(child.pid);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    for (const stream of child.stdio) stream?.destroy();
    // The sandbox's processes die with it (their init has a parent-death signal); the run is over once they are.
    if (tree) await waitForExit(tree.sandboxPid, SANDBOX_EXIT_WAIT_MS);
    if (cgroup) {
      peakProcesses = Math.max(peakProcesses, cgroup.peak() ?? 0);
      // A refused fork means the job hit its process limit even if it then collapsed on its own.
      if (cgroup.refusals() > 0 && !killedFor) killedFor = 'processes';
      void cgroup.remove();
    }
    let diskBytesUsed: number;
    try {
      if (tree) {
        const final = tree.usage();
        diskBytesUsed = final.usedBytes;
        // A full tree means a write was refused: the job hit its disk limit even if it then exited on its own.
        if (final.full && !killedFor) killedFor = 'disk';
        if (request.persistent) {
          await emptyDirectory(workspace.dir, Workspace.MOUNTED);
          await tree.save(workspace.dir, { skip: Workspace.MOUNTED, owner: this.sandbox.workspaceOwner });
        } else await tree.copyOutputs(workspace.outputs);
      } else diskBytesUsed = await directorySize(workspace.dir);
    } finally {
      tree?.close();
    }
    // The shell's report can be forged from inside (same user), never below what the samples saw.
    const cpuMs = Math.max(parseTimes(times) ?? 0, sampledCpuMs);
    const spawnError = result.error?.message ?? setupError;
    if (spawnError) {
      log.note(`could not start the algorithm: ${spawnError}`);
      await log.close();
      return {
        exitCode: undefined,
        signal: undefined,
        killedFor: undefined,
        spawnError,
        durationMs: Date.now() - started,
        peakProcesses,
        diskBytesUsed,
        cpuMs,
      };
    }
    if (killedFor) log.note(killNote(killedFor, { ...limits, maxProcesses }));
    await log.close();
    const signalNumber = result.signal ? osConstants.signals[result.signal] : undefined;
    return {
      exitCode: result.code ?? (signalNumber !== undefined ? 128 + signalNumber : undefined),
      signal: result.signal ?? undefined,
      killedFor,
      spawnError: undefined,
      durationMs: Date.now() - started,
      peakProcesses,
      diskBytesUsed,
      cpuMs,
    };
  }
}

const MiB = 1024 * 1024;

/** The line the job's log ends with when the runner killed the algorithm. */
function killNote(reason: KillReason, limits: RunLimits & { maxProcesses: number }): string {
  switch (reason) {
    case 'timeout':
      return 'wall-clock limit reached: the algorithm was killed';
    case 'memory':
      return 'memory limit exceeded: the algorithm was killed';
    case 'disk':
      return `disk limit of ${Math.round(limits.diskBytes / MiB)} MiB reached: the algorithm was killed`;
    case 'processes':
      return `process limit of ${limits.maxProcesses} reached: the algorithm was killed`;
    case 'stop':
      return 'stop requested: the algorithm was killed';
  }
}

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { JobTree } from './jobTree';
import { PidsCgroup } from './pidsCgroup';
import { directorySize, killTree, processTree, treeUsage, waitForExit } from './processTree';
import { findExecutable, INFO_FD, RELEASE_FD, Sandbox } from './sandbox';
import type { Workspace } from './workspace';

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
}

export interface RunRequest {
  workspace: Workspace;
  /** argv; argv[0] is an absolute path on the runner. */
  argv: string[];
  env: Record<string, string>;
  limits: RunLimits;
  /** Aborting kills the tree (a stop request, or the job vanished). */
  signal: AbortSignal;
  /** Live copy of the captured output (within the log cap). */
  onLog(chunk: Buffer): void;
}

const MEMORY_SAMPLE_MS = 100;
const SANDBOX_EXIT_WAIT_MS = 5000;
const DISK_SAMPLE_EVERY = 10;
/**
 * The hard address-space backstop is looser than the sampled RSS limit, so that a growing tree is caught by the
 * sampler with a clear reason.
 */
const DATA_RLIMIT_FACTOR = 2;

/** Captures output into logs/algorithm.log up to a cap; one notice marks the cut. */
class CappedLog {
  private written = 0;
  private truncated = false;
  private readonly file: fs.WriteStream;

  constructor(
    path: string,
    private readonly cap: number,
    private readonly onLog: (chunk: Buffer) => void,
  ) {
    this.file = fs.createWriteStream(path, { flags: 'a' });
  }

  write(chunk: Buffer): void {
    if (this.truncated) return;
    const room = this.cap - this.written;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.written += part.length;
    this.emit(part);
    if (chunk.length > room) {
      this.truncated = true;
      this.emit(Buffer.from(`\n[bourse] log truncated at ${this.cap} bytes\n`));
    }
  }

  note(text: string): void {
    this.emit(Buffer.from(`[bourse] ${text}\n`));
  }

  private emit(part: Buffer): void {
    if (part.length === 0) return;
    this.file.write(part);
    this.onLog(part);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.file.end(resolve));
  }
}

/**
 * The default executor: runs the entrypoint as a child process (no shell) inside the sandbox, under rlimits
 * (prlimit), with a wall-clock deadline, a sampled memory and disk limit, output captured with a size cap,
 * and a kill of the whole process tree on stop, timeout or limit.
 */
export class ProcessExecutor {
  private readonly prlimit: string;

  constructor(readonly sandbox: Sandbox) {
    const prlimit = findExecutable('prlimit');
    if (!prlimit)
      throw new Error(
        'prlimit (util-linux) is not installed: the runner needs it to limit memory and CPU time of jobs',
      );
    this.prlimit = prlimit;
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const { workspace, limits } = request;
    const maxProcesses = limits.maxProcesses ?? DEFAULT_MAX_PROCESSES;
    const started = Date.now();
    // The job's tasks as seen from the runner include bubblewrap's monitor, which runs outside the job's user
    // namespace and so outside the rlimit: the rlimit allows one task fewer. A pids cgroup counts the monitor
    // too; the rlimit then allows the full number so that the cgroup is the one to refuse a fork, and records it.
    const candidate = this.sandbox.kind === 'bwrap' ? PidsCgroup.create(maxProcesses) : undefined;
    const launch = this.sandbox.launch(workspace, request.argv, request.env, {
      maxProcesses: candidate ? maxProcesses : maxProcesses - 1,
      diskBytes: limits.diskBytes,
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
    const log = new CappedLog(workspace.logFile, limits.maxLogBytes, request.onLog);
    const child = spawn(this.prlimit, [...rlimits, '--', launch.file, ...launch.args], {
      cwd: launch.cwd,
      env: launch.env,
      uid: launch.uid,
      gid: launch.gid,
      detached: true,
      stdio: launch.holdsTree ? ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    });
    let killedFor: KillReason | undefined;
    const kill = (why: KillReason): void => {
      if (killedFor || child.pid === undefined) return;
      killedFor = why;
      void killTree(child.pid);
    };
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
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
      const joinCgroup = async (): Promise<void> => cgroup?.add(await processTree(pid));
      tree = await JobTree.attach(info, release, joinCgroup, gone.signal).catch((err: Error) => {
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
    const sampler = setInterval(() => {
      if (sampling || child.pid === undefined || killedFor) return;
      sampling = true;
      const pid = child.pid;
      const checkDirectory = ++ticks % DISK_SAMPLE_EVERY === 0;
      void (async () => {
        const usage = await treeUsage(pid);
        peakProcesses = Math.max(peakProcesses, usage.tasks);
        if (usage.rssBytes > limits.memoryBytes) kill('memory');
        else if (usage.tasks >= maxProcesses || (cgroup?.refusals() ?? 0) > 0) kill('processes');
        else if (tree ? tree.usage().full : checkDirectory && (await directorySize(workspace.dir)) > limits.diskBytes)
          kill('disk');
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
        await tree.copyOutputs(workspace.outputs);
      } else diskBytesUsed = await directorySize(workspace.dir);
    } finally {
      tree?.close();
    }
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

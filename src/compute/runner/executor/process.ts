import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { constants as osConstants } from 'node:os';
import { directorySize, killTree, treeRssBytes } from './processTree';
import { findExecutable, Sandbox } from './sandbox';
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
}

export type KillReason = 'timeout' | 'memory' | 'disk' | 'stop';

export interface RunOutcome {
  /** Exit code, or 128 + signal number when the process died of a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  /** Set when the runner killed the tree, and why. */
  killedFor: KillReason | undefined;
  /** The process could not be started at all. */
  spawnError: string | undefined;
  durationMs: number;
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
    const started = Date.now();
    const launch = this.sandbox.launch(workspace, request.argv, request.env);
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
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let killedFor: KillReason | undefined;
    const kill = (why: KillReason): void => {
      if (killedFor || child.pid === undefined) return;
      killedFor = why;
      void killTree(child.pid);
    };
    child.stdout.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
    const closed = once(child, 'close').catch(() => undefined);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
    });

    const onAbort = (): void => kill('stop');
    request.signal.addEventListener('abort', onAbort, { once: true });
    if (request.signal.aborted) kill('stop');
    const deadline = setTimeout(() => kill('timeout'), limits.wallClockMs);
    let ticks = 0;
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling || child.pid === undefined || killedFor) return;
      sampling = true;
      const pid = child.pid;
      const checkDisk = ++ticks % DISK_SAMPLE_EVERY === 0;
      void (async () => {
        if ((await treeRssBytes(pid)) > limits.memoryBytes) kill('memory');
        else if (checkDisk && (await directorySize(workspace.dir)) > limits.diskBytes) kill('disk');
      })().finally(() => {
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
    child.stdout.destroy();
    child.stderr.destroy();
    if (result.error) {
      log.note(`could not start the algorithm: ${result.error.message}`);
      await log.close();
      return {
        exitCode: undefined,
        signal: undefined,
        killedFor: undefined,
        spawnError: result.error.message,
        durationMs: Date.now() - started,
      };
    }
    if (killedFor) log.note(KILL_NOTES[killedFor]);
    await log.close();
    const signalNumber = result.signal ? osConstants.signals[result.signal] : undefined;
    return {
      exitCode: result.code ?? (signalNumber !== undefined ? 128 + signalNumber : undefined),
      signal: result.signal ?? undefined,
      killedFor,
      spawnError: undefined,
      durationMs: Date.now() - started,
    };
  }
}

const KILL_NOTES: Record<KillReason, string> = {
  timeout: 'wall-clock limit reached: the algorithm was killed',
  memory: 'memory limit exceeded: the algorithm was killed',
  disk: 'disk limit exceeded: the algorithm was killed',
  stop: 'stop requested: the algorithm was killed',
};

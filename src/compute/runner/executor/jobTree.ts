import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findExecutable } from './sandbox';
import { copyTree, type TreeCopyOptions } from './treeCopy';

const TMPFS_MAGIC = 0x01021994;
const ATTACH_TIMEOUT_MS = 10_000;
const ATTACH_POLL_MS = 2;
const RESTORE_TIMEOUT_MS = 120_000;

/** Reads bubblewrap's info JSON (written on its info fd) until it names the sandbox's pid. */
async function sandboxPid(info: Readable, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: Error | undefined, pid?: number): void => {
      clearTimeout(timer);
      info.off('data', onData);
      info.off('end', onEnd);
      info.resume();
      if (err) reject(err);
      else resolve(pid as number);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (match) done(undefined, Number(match[1]));
    };
    const onEnd = (): void => done(new Error('the sandbox ended before reporting its pid'));
    const timer = setTimeout(() => done(new Error('the sandbox did not report its pid in time')), timeoutMs);
    info.on('data', onData);
    info.on('end', onEnd);
  });
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The job's writable tree: a size-limited tmpfs mounted at /data inside the sandbox. The runner opens it while the
 * sandbox waits to start the algorithm, and the open descriptor keeps the filesystem alive after the sandbox (and
 * its mount namespace) is gone, so outputs are copied out after the run. Closing it frees the memory.
 */
export class JobTree {
  private closed = false;

  private constructor(
    private readonly fd: number,
    /** The sandbox's first process (its pid namespace's init), as the runner sees it. */
    readonly sandboxPid: number,
  ) {}

  /**
   * Waits until the sandbox `info` reports has its root in place (its /data is the tmpfs, its root is not the
   * runner's), opens /data, calls `beforeRelease` (nothing in the sandbox runs the algorithm yet), then lets the
   * sandbox start the algorithm by writing to `release`.
   */
  static async attach(
    info: Readable,
    release: Writable,
    beforeRelease: (tree: JobTree) => Promise<void>,
    sandboxExited: AbortSignal,
    timeoutMs = ATTACH_TIMEOUT_MS,
  ): Promise<JobTree> {
    const until = Date.now() + timeoutMs;
    const pid = await sandboxPid(info, timeoutMs);
    const hostRoot = fs.statSync('/').dev;
    const data = `/proc/${pid}/root/data`;
    for (;;) {
      if (sandboxExited.aborted) throw new Error('the sandbox exited while setting up');
      if (Date.now() > until) throw new Error('the sandbox did not set up its job directory in time');
      const ready = await Promise.all([fs.promises.stat(`/proc/${pid}/root`), fs.promises.statfs(data)]).then(
        ([root, fsStat]) => root.dev !== hostRoot && fsStat.type === TMPFS_MAGIC,
        () => false,
      );
      if (ready) break;
      await pause(ATTACH_POLL_MS);
    }
    const fd = fs.openSync(data, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    const tree = new JobTree(fd, pid);
    try {
      await beforeRelease(tree);
    } catch (err) {
      tree.close();
      throw err;
    }
    await new Promise<void>((resolve) => release.end('go', () => resolve()));
    return tree;
  }

  /** The tree's root as a path the runner can open (through its own descriptor). */
  get root(): string {
    return `/proc/self/fd/${this.fd}`;
  }

  /** Bytes in use and whether the tree is full (a write beyond the limit was refused). */
  usage(): { usedBytes: number; full: boolean } {
    const stat = fs.statfsSync(this.root);
    return { usedBytes: (stat.blocks - stat.bfree) * stat.bsize, full: stat.bavail === 0 };
  }

  /** Copies directories and regular files of outputs/ to `dest`; links and special files are left behind. */
  async copyOutputs(dest: string): Promise<void> {
    const outputs = path.join(this.root, 'outputs');
    const stat = await fs.promises.lstat(outputs).catch(() => undefined);
    if (stat?.isDirectory()) await copyTree(outputs, dest);
  }

  /**
   * Copies a saved tree in, before the release (nothing of the job runs yet). `cp` runs as the sandbox's user: a file
   * a root runner created itself would have an owner with no identity inside the sandbox's user namespace (EOVERFLOW).
   */
  async restore(from: string, skip: readonly string[], user: { uid?: number; gid?: number }): Promise<void> {
    const names = (await fs.promises.readdir(from)).filter((name) => !skip.includes(name));
    if (names.length === 0) return;
    const sources = names.map((name) => path.join(from, name));
    const target = `/proc/${this.sandboxPid}/root/data/`;
    await promisify(execFile)(
      findExecutable('cp') ?? '/bin/cp',
      ['-R', '-P', '--preserve=mode', '--', ...sources, target],
      {
        ...user,
        timeout: RESTORE_TIMEOUT_MS,
      },
    );
  }

  /** Copies the whole tree out (after the run: every process of the job is gone). */
  async save(to: string, options: TreeCopyOptions): Promise<void> {
    await copyTree(this.root, to, options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

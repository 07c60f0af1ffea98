import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';

/** A file found in a job's outputs, named by its path relative to `outputs/` (posix separators). */
export interface OutputFile {
  filename: string;
  path: string;
  size: number;
}

/**
 * A job's directory on the runner: `inputs/`, `outputs/`, `logs/`, `transformations/` (Ocean's layout).
 * The algorithm may have planted symlinks in it, so everything read back after a run is read without
 * following links.
 */
export class Workspace {
  /** The parts mounted read-only into the sandbox: not part of a job's writable tree. */
  static readonly MOUNTED: readonly string[] = ['inputs', 'transformations', 'logs'];
  readonly dir: string;

  constructor(
    root: string,
    readonly jobId: string,
  ) {
    this.dir = path.join(root, jobId);
  }

  get inputs(): string {
    return path.join(this.dir, 'inputs');
  }
  get outputs(): string {
    return path.join(this.dir, 'outputs');
  }
  get logs(): string {
    return path.join(this.dir, 'logs');
  }
  get transformations(): string {
    return path.join(this.dir, 'transformations');
  }
  get algorithmFile(): string {
    return path.join(this.transformations, 'algorithm');
  }
  get logFile(): string {
    return path.join(this.logs, 'algorithm.log');
  }

  /** (Re)creates an empty layout; safe to repeat. `owner` makes the writable parts belong to the sandbox user. */
  async prepare(owner?: { uid: number; gid: number }): Promise<void> {
    await this.remove();
    for (const dir of [this.inputs, this.outputs, this.logs, this.transformations])
      await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await fs.writeFile(this.logFile, '');
    if (owner) {
      await fs.chown(this.dir, owner.uid, owner.gid);
      await fs.chown(this.outputs, owner.uid, owner.gid);
    }
  }

  async remove(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** Regular files under outputs/, sorted by name; symlinks and special files are skipped. */
  async outputFiles(): Promise<OutputFile[]> {
    const found: OutputFile[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const stat = await fs.lstat(dir).catch(() => undefined);
      if (!stat?.isDirectory()) return;
      for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) await walk(full, name);
        else if (entry.isFile()) found.push({ filename: name, path: full, size: (await fs.lstat(full)).size });
      }
    };
    await walk(this.outputs, '');
    return found.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  }
}

/** Reads a regular file without following a symlink at its last component. */
export async function readRegularFile(file: string): Promise<Buffer> {
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${file} is not a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

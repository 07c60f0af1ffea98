import fs from 'node:fs/promises';
import path from 'node:path';

export interface TreeCopyOptions {
  /** Names at the top of `from` that are not copied. */
  skip?: readonly string[];
  /** Owner the copies get (a root runner hands them to the sandbox user). */
  owner?: { uid: number; gid: number };
}

/**
 * Copies directories and regular files (permission bits kept, set-id bits dropped) from `from` into `to`. Links and
 * special files are left behind and nothing is followed, so a tree written by a job cannot point the copy elsewhere.
 */
export async function copyTree(from: string, to: string, options: TreeCopyOptions = {}): Promise<void> {
  const skip = new Set(options.skip ?? []);
  const copy = async (source: string, target: string, top: boolean): Promise<void> => {
    for (const entry of await fs.readdir(source, { withFileTypes: true })) {
      if (top && skip.has(entry.name)) continue;
      const src = path.join(source, entry.name);
      const dest = path.join(target, entry.name);
      if (entry.isDirectory()) {
        await fs.mkdir(dest, { recursive: true });
        await copy(src, dest, false);
      } else if (entry.isFile()) {
        await fs.copyFile(src, dest);
      } else continue;
      await fs.chmod(dest, (await fs.lstat(src)).mode & 0o777);
      if (options.owner) await fs.chown(dest, options.owner.uid, options.owner.gid);
    }
  };
  await copy(from, to, true);
}

/** Removes everything in `dir` but the names in `keep`. */
export async function emptyDirectory(dir: string, keep: readonly string[] = []): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (!keep.includes(name)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { CommandError } from './executor/command';
import { fetchInput, InputError, type InputPolicy } from './executor/inputs';
import { directorySize } from './executor/processTree';
import { readRegularFile, type Workspace } from './executor/workspace';

type Owner = { uid: number; gid: number } | undefined;

/**
 * The host path of a workspace-relative path, walked one component at a time without following links: commands may
 * have left links in the workspace, and the runner must never write or read through one. Missing directories are
 * created (given to the sandbox user) when `create` is set. Nothing of the activity runs meanwhile: batches run one
 * after another and a run's processes are gone before its command's result.
 */
async function resolveInside(workspace: Workspace, relative: string, create: boolean, owner: Owner): Promise<string> {
  const parts = relative.split('/');
  let current = workspace.dir;
  for (const [index, part] of parts.entries()) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch(() => undefined);
    const last = index === parts.length - 1;
    if (stat?.isSymbolicLink()) throw new CommandError(`${relative}: ${parts.slice(0, index + 1).join('/')} is a link`);
    if (last) break;
    if (!stat && create) {
      await fs.mkdir(current, { mode: 0o755 });
      if (owner) await fs.chown(current, owner.uid, owner.gid);
    } else if (!stat?.isDirectory())
      throw new CommandError(`${relative}: ${parts.slice(0, index + 1).join('/')} is not a directory`);
  }
  return current;
}

/** Fetches `url` into the workspace at `target`, within the input policy and the room left on the activity's disk. */
export async function transferIn(
  workspace: Workspace,
  url: string,
  target: string,
  policy: InputPolicy & { diskBytes: number; owner: Owner },
): Promise<void> {
  const dest = await resolveInside(workspace, target, true, policy.owner);
  const room = policy.diskBytes - (await directorySize(workspace.dir));
  try {
    await fetchInput(url, dest, { ...policy, maxBytes: Math.max(0, Math.min(policy.maxBytes, room)) });
  } catch (err) {
    await fs.rm(dest, { force: true });
    throw err instanceof InputError ? new CommandError(err.message) : err;
  }
  if (policy.owner) await fs.chown(dest, policy.owner.uid, policy.owner.gid);
}

/** A workspace file's bytes (a regular file, reached through no link), at most `maxBytes`. */
export async function readWorkspaceFile(workspace: Workspace, source: string, maxBytes: number): Promise<Buffer> {
  const file = await resolveInside(workspace, source, false, undefined);
  const stat = await fs.lstat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new CommandError(`${source} is not a file in the workspace`);
  if (stat.size > maxBytes) throw new CommandError(`${source} is larger than the ${maxBytes} bytes a result may be`);
  return readRegularFile(file);
}

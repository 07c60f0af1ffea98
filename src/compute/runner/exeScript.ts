import path from 'node:path';
import { isResultName, type ExeCommand } from '../../activity/record';
import { CommandError } from './executor/command';
import { findExecutable } from './executor/sandbox';

/**
 * ExeScript `run` commands as argv: the entry point's command name (an absolute path is reduced to its name, as
 * golem-js sends `/bin/sh`) must be one the runner allows, and is resolved on the runner's PATH. No shell is
 * added: a shell runs only when the entry point is a shell the runner allows (e.g. `sh`, golem-js's `run(text)`).
 */
export function runArgv(command: ExeCommand, allowedCommands: string[]): string[] {
  const entryPoint = command.args.entry_point;
  const args = command.args.args ?? [];
  if (typeof entryPoint !== 'string' || entryPoint === '')
    throw new CommandError('run needs an entry_point (a command name or path)');
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string'))
    throw new CommandError('run args must be an array of strings');
  const name = path.basename(entryPoint);
  if (!allowedCommands.includes(name))
    throw new CommandError(`command "${name}" is not allowed by this runner (allowed: ${allowedCommands.join(', ')})`);
  const executable = findExecutable(name);
  if (!executable) throw new CommandError(`command "${name}" is not installed on this runner`);
  return [executable, ...(args as string[])];
}

/** What a `transfer` does: fetch a URL into the workspace, or publish a workspace file to the result store. */
export type Transfer = { kind: 'in'; url: string; target: string } | { kind: 'out'; source: string; name: string };

/** Aliases of the workspace as golem images name their volumes; the sandbox shows the same paths. */
const ALIASES: Array<[string, string]> = [
  ['/golem/input', 'inputs'],
  ['/golem/output', 'outputs'],
  ['/golem/work', ''],
  ['/data', ''],
  ['/tmp', 'tmp'],
];

/**
 * A `container:` path as a path relative to the activity's workspace (what commands see as /data, their working
 * directory). Absolute paths must lie under /data, /tmp or golem's /golem/{work,input,output}; logs/ and
 * transformations/ are the runner's.
 */
export function workspacePath(url: string): string {
  const raw = url.slice('container:'.length);
  let relative: string | undefined = raw.startsWith('/') ? undefined : raw;
  for (const [alias, target] of ALIASES) {
    if (relative === undefined && (raw === alias || raw.startsWith(`${alias}/`)))
      relative = path.posix.join(target, raw.slice(alias.length));
  }
  if (relative === undefined)
    throw new CommandError(`"${url}" is outside the workspace (/data, /tmp, /golem/work, /golem/input, /golem/output)`);
  const normal = path.posix.normalize(relative === '' ? '.' : relative);
  const top = normal.split('/')[0];
  if (normal === '.' || normal.startsWith('..') || top === 'logs' || top === 'transformations')
    throw new CommandError(`"${url}" names no file the workspace can hold`);
  return normal.replace(/\/+$/, '');
}

/**
 * A transfer's direction: `from` a `data:` or http(s) URL `to` a `container:` path, or `from` a `container:` path `to`
 * `result:<name>` (the API's result store; the requestor downloads it from the activity's `results/<name>`).
 */
export function parseTransfer(command: ExeCommand): Transfer {
  const { from, to } = command.args;
  if (typeof from !== 'string' || typeof to !== 'string') throw new CommandError('transfer needs from and to');
  if (to.startsWith('container:')) {
    if (!/^(data|https?):/.test(from))
      throw new CommandError(
        `transfer into the workspace needs a data:, http: or https: source, not "${from.slice(0, 80)}"`,
      );
    return { kind: 'in', url: from, target: workspacePath(to) };
  }
  if (from.startsWith('container:') && to.startsWith('result:')) {
    const source = workspacePath(from);
    const name = to.slice('result:'.length) || path.posix.basename(source);
    if (!isResultName(name))
      throw new CommandError(`result name "${name}" must be 1-200 letters, digits, ".", "_" or "-"`);
    return { kind: 'out', source, name };
  }
  throw new CommandError(
    `this runner transfers from data:/http(s) URLs to container:<path> and from container:<path> to result:<name>, not "${from.slice(0, 80)}" to "${to.slice(0, 80)}"`,
  );
}

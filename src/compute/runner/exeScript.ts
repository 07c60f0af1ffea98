import path from 'node:path';
import type { ExeCommand } from '../../activity/record';
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

/** Where a `transfer` to `container:<path>` lands: the workspace's inputs, by file name (read-only to commands). */
export function transferTarget(command: ExeCommand): { from: string; name: string } {
  const { from, to } = command.args;
  if (typeof from !== 'string' || typeof to !== 'string') throw new CommandError('transfer needs from and to');
  if (!from.startsWith('data:'))
    throw new CommandError('this runner transfers from data: URLs only (into the activity workspace)');
  const name = path.posix.basename(to.replace(/^container:/, ''));
  if (name === '' || name === '.' || name === '..') throw new CommandError(`transfer target "${to}" names no file`);
  return { from, name };
}

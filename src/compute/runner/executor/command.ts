import type { JobSpec } from '../../jobs/record';
import { findExecutable } from './sandbox';

/** The job asks for something this runner does not run; the job ends at 32 with this message. */
export class CommandError extends Error {}

export interface CommandPolicy {
  runtimes: string[];
  commands: string[];
}

/**
 * The argv to execute for `spec`: the runtime and the entrypoint's command must be allowed by the runner,
 * the command is resolved on the runner's PATH, and `$ALGO` becomes the algorithm's path as the algorithm sees it.
 * No shell is involved anywhere.
 */
export function buildArgv(spec: JobSpec, policy: CommandPolicy, algorithmPath: string): string[] {
  if (!policy.runtimes.includes(spec.runtime)) {
    throw new CommandError(
      `runtime "${spec.runtime}" is not allowed by this runner (allowed: ${policy.runtimes.join(', ')})`,
    );
  }
  const entrypoint = spec.entrypoint.length > 0 ? spec.entrypoint : [spec.runtime, '$ALGO'];
  const command = entrypoint[0];
  if (!policy.commands.includes(command)) {
    throw new CommandError(
      `command "${command}" is not allowed by this runner (allowed: ${policy.commands.join(', ')})`,
    );
  }
  const executable = findExecutable(command);
  if (!executable) throw new CommandError(`command "${command}" is not installed on this runner`);
  return [executable, ...entrypoint.slice(1).map((arg) => arg.split('$ALGO').join(algorithmPath))];
}

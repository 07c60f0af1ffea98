import type { ActivityState, ExeCommand } from '../../activity/record';
import { readWorkspaceFile, transferIn } from './activityFiles';
import type { RunnerConfig } from './config';
import type { OutputStream } from './executor/cappedLog';
import { CommandError } from './executor/command';
import type { ProcessExecutor, RunOutcome } from './executor/process';
import type { Workspace } from './executor/workspace';
import { parseTransfer, runArgv } from './exeScript';
import { algorithmEnv } from './watch';

/** One command's outcome, as its ExeScriptCommandResult and `finished` event will say. */
export interface CommandOutcome {
  ok: boolean;
  stdout: string | null;
  stderr: string | null;
  message: string | null;
  returnCode: number;
  /** The state the command moves the activity to (deploy, start, terminate). */
  state?: ActivityState;
  cpuMs: number;
}

/** What a command of one activity may use: its workspace, live output, the result store, its kill switch. */
export interface CommandScope {
  config: RunnerConfig;
  executor: ProcessExecutor;
  workspace: Workspace;
  kill: AbortSignal;
  /** Live output of a `run` (streamed as runtime events). */
  onOutput(chunk: Buffer, stream: OutputStream): void;
  /** CPU time of the running command so far (sampled), for usage while it runs. */
  onCpu(cpuMs: number): void;
  /** Stores a file in the API's result store under the activity. */
  publish(name: string, bytes: Buffer): Promise<void>;
}

const ok = (state?: ActivityState): CommandOutcome => ({
  ok: true,
  stdout: null,
  stderr: null,
  message: null,
  returnCode: 0,
  state,
  cpuMs: 0,
});

export const failed = (message: string): CommandOutcome => ({
  ok: false,
  stdout: null,
  stderr: null,
  message,
  returnCode: 1,
  cpuMs: 0,
});

/** Executes one ExeScript command; whatever goes wrong is the command's Error result, never the runner's. */
export async function executeCommand(scope: CommandScope, command: ExeCommand): Promise<CommandOutcome> {
  const { config, workspace } = scope;
  try {
    switch (command.name) {
      case 'deploy':
        return ok('Deployed');
      case 'start':
        return ok('Ready');
      case 'terminate':
        return ok('Terminated');
      case 'transfer': {
        const transfer = parseTransfer(command);
        if (transfer.kind === 'in') {
          await transferIn(workspace, transfer.url, transfer.target, {
            allowedHosts: config.inputHosts,
            maxBytes: config.maxInputBytes,
            timeoutMs: config.inputTimeoutMs,
            diskBytes: config.diskBytes,
            owner: scope.executor.sandbox.workspaceOwner,
          });
        } else {
          await scope.publish(
            transfer.name,
            await readWorkspaceFile(workspace, transfer.source, config.maxResultBytes),
          );
        }
        return ok();
      }
      case 'run':
        return await run(scope, runArgv(command, config.commands));
      case 'invalid':
        return failed(String(command.args.message));
      default:
        return failed(`command "${command.name}" is not supported by this runner`);
    }
  } catch (err) {
    if (err instanceof CommandError) return failed(err.message);
    return failed(`${command.name} failed: ${(err as Error).message}`);
  }
}

/** A `run`: argv in the activity's sandboxed workspace, stdout and stderr captured apart (capped together). */
async function run(scope: CommandScope, argv: string[]): Promise<CommandOutcome> {
  const { config, executor, workspace } = scope;
  const captured: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  const outcome = await executor.run({
    workspace,
    argv,
    env: algorithmEnv(executor.sandbox.dataRoot(workspace), argv[0]),
    limits: {
      memoryBytes: config.memoryBytes,
      cpuSeconds: config.maxJobDurationSeconds,
      wallClockMs: config.maxJobDurationSeconds * 1000,
      diskBytes: config.diskBytes,
      maxLogBytes: config.maxLogBytes,
      maxProcesses: config.maxProcesses,
    },
    signal: scope.kill,
    persistent: true,
    measureCpu: true,
    onCpu: scope.onCpu,
    onLog: (chunk, stream) => {
      captured[stream].push(chunk);
      scope.onOutput(chunk, stream);
    },
  });
  const code = outcome.exitCode ?? -1;
  const success = code === 0 && !outcome.killedFor && !outcome.spawnError;
  return {
    ok: success,
    stdout: Buffer.concat(captured.stdout).toString('utf8'),
    stderr: Buffer.concat(captured.stderr).toString('utf8'),
    message: success ? null : runMessage(outcome, config.maxJobDurationSeconds),
    returnCode: code,
    cpuMs: Math.round(outcome.cpuMs),
  };
}

function runMessage(outcome: RunOutcome, limitSeconds: number): string {
  if (outcome.spawnError) return `could not start: ${outcome.spawnError}`;
  switch (outcome.killedFor) {
    case 'timeout':
      return `time limit of ${limitSeconds} s reached: the command was killed`;
    case 'stop':
      return 'the activity was terminated: the command was killed';
    case undefined:
      return `exited with code ${outcome.exitCode}`;
    default:
      return `${outcome.killedFor} limit reached: the command was killed`;
  }
}

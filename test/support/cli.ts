import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import path from 'node:path';

/** The repository root (tests run `bourse` from source with tsx). */
export const ROOT = path.resolve(__dirname, '../..');

export interface CliOptions {
  /** The child's whole environment besides PATH and HOME (nothing else of the test's environment leaks in). */
  env?: Record<string, string>;
  /** Options for node itself, before the script (e.g. `-r` preloads). */
  nodeArgs?: string[];
  stdio?: SpawnOptions['stdio'];
}

/** Starts `bourse <args>` from source as a child process. */
export function spawnCli(args: string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bourse <args>` to its end and collects exit code and output; fails after `timeoutMs`. */
export function runCli(args: string[], options: CliOptions = {}, timeoutMs = 25_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bourse ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Output written just before exit may still be in the pipes.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

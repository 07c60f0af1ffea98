import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SandboxKind } from '../config';
import type { Workspace } from './workspace';

/** How to start one algorithm process. */
export interface Launch {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Set when the runner is root: the sandbox itself then runs as this unprivileged user. */
  uid?: number;
  gid?: number;
  /**
   * The job's writable tree is a size-limited tmpfs inside the sandbox: the launcher reports the sandbox's pid as
   * JSON on fd 3 and waits for a byte on fd 4 before it starts the algorithm (see JobTree).
   */
  holdsTree: boolean;
}

/** What the sandbox itself bounds, per job. */
export interface SandboxLimits {
  /** Processes and threads of the job together (RLIMIT_NPROC counted inside the job's own user namespace). */
  maxProcesses: number;
  /** Bytes the job's writable tree may hold. */
  diskBytes: number;
  /** A command (a system shell) that runs argv inside the sandbox, e.g. to report its CPU time. */
  wrapper?: string[];
}

/** Inside the sandbox: fd 3 carries bwrap's info JSON out, fd 4 releases the algorithm. */
export const INFO_FD = 3;
export const RELEASE_FD = 4;

/** POSIX shared memory (/dev/shm, e.g. Python's multiprocessing locks) gets its own small bounded tmpfs. */
const SHM_BYTES = 64 * 1024 * 1024;

/** The unprivileged user the algorithm runs as (nobody). */
export const SANDBOX_UID = 65534;

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const SYSTEM_FILES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/localtime',
];

/** Finds an executable on the runner's PATH (or checks an absolute path); undefined when there is none. */
export function findExecutable(
  name: string,
  searchPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : searchPath
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return fs.realpathSync(candidate);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Where the algorithm runs: the isolation around it and the paths it sees. */
export interface Sandbox {
  readonly kind: SandboxKind;
  /** The job directory as the algorithm sees it. */
  dataRoot(workspace: Workspace): string;
  /** Owner the workspace's writable parts must have for the algorithm to write them. */
  readonly workspaceOwner: { uid: number; gid: number } | undefined;
  /** Whether user namespaces are disabled inside the sandbox (`unshare -r` fails there). */
  readonly userNamespacesDisabled: boolean;
  launch(workspace: Workspace, argv: string[], env: Record<string, string>, limits: SandboxLimits): Launch;
}

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** What the installed bubblewrap can do (older releases lack some options). */
interface BwrapFeatures {
  disableUserns: boolean;
  sizedTmpfs: boolean;
}

function bwrapFeatures(bwrap: string): BwrapFeatures {
  const help = spawnSync(bwrap, ['--help'], { encoding: 'utf8' });
  const text = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  return { disableUserns: text.includes('--disable-userns'), sizedTmpfs: /--size\b/.test(text) };
}

/**
 * bubblewrap: new user, pid, net, ipc, uts and cgroup namespaces (no network at all), read-only system
 * directories and nothing else of the host, an unprivileged uid, death with the runner, no further user
 * namespaces, and a per-job process limit. The job directory is /data: inputs, transformations and logs are
 * read-only mounts of the host's (which also cannot be replaced by links); everything writable (/data itself,
 * /data/outputs, /tmp) lives in one tmpfs of the job's disk size, so a write beyond it fails with ENOSPC instead
 * of filling the host; the rest of the root is read-only. The runner copies outputs/ out after the run.
 */
class BwrapSandbox implements Sandbox {
  readonly kind = 'bwrap';
  readonly workspaceOwner: { uid: number; gid: number } | undefined;
  readonly userNamespacesDisabled: boolean;

  constructor(
    private readonly bwrap: string,
    private readonly prlimit: string | undefined,
    private readonly hiddenPaths: string[],
    private readonly features: BwrapFeatures = bwrapFeatures(bwrap),
  ) {
    const root = process.getuid?.() === 0;
    this.workspaceOwner = root ? { uid: SANDBOX_UID, gid: SANDBOX_UID } : undefined;
    this.userNamespacesDisabled = features.disableUserns;
  }

  dataRoot(): string {
    return '/data';
  }

  launch(workspace: Workspace, argv: string[], env: Record<string, string>, limits: SandboxLimits): Launch {
    const args = [
      '--unshare-all',
      '--unshare-user',
      '--die-with-parent',
      '--new-session',
      '--uid',
      String(SANDBOX_UID),
      '--gid',
      String(SANDBOX_UID),
    ];
    const bound: string[] = [];
    for (const dir of SYSTEM_DIRS) {
      const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (stat?.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(dir), dir);
      else if (stat?.isDirectory()) {
        args.push('--ro-bind', dir, dir);
        bound.push(dir);
      }
    }
    for (const file of SYSTEM_FILES) args.push('--ro-bind-try', file, file);
    // An interpreter installed outside the system directories (e.g. /opt/<tool>/bin/node) brings its prefix.
    for (const exe of [argv[0], ...(this.prlimit ? [this.prlimit] : []), ...(limits.wrapper ?? []).slice(0, 1)]) {
      if (!bound.some((dir) => isUnder(exe, dir))) {
        const prefix = path.dirname(path.dirname(exe));
        args.push('--ro-bind', prefix, prefix);
        bound.push(prefix);
      }
    }
    for (const hidden of this.hiddenPaths) {
      if (bound.some((dir) => isUnder(hidden, dir))) args.push('--ro-bind', '/dev/null', hidden);
    }
    args.push('--proc', '/proc', '--dev', '/dev', '--size', String(SHM_BYTES), '--tmpfs', '/dev/shm');
    const holdsTree = this.features.sizedTmpfs;
    if (holdsTree) {
      args.push('--info-fd', String(INFO_FD), '--block-fd', String(RELEASE_FD));
      args.push('--size', String(limits.diskBytes), '--perms', '0755', '--tmpfs', '/data');
      args.push('--dir', '/data/outputs', '--perms', '01777', '--dir', '/data/tmp', '--symlink', '/data/tmp', '/tmp');
    } else {
      // Without sized tmpfs support the host's job directory is written directly (the executor samples its size).
      args.push('--tmpfs', '/tmp', '--bind', workspace.dir, '/data', '--bind', workspace.outputs, '/data/outputs');
    }
    args.push('--ro-bind', workspace.inputs, '/data/inputs');
    args.push('--ro-bind', workspace.transformations, '/data/transformations');
    args.push('--ro-bind', workspace.logs, '/data/logs');
    // golem images' volume paths name the same directories (an activity's transfers accept them too).
    args.push('--symlink', '/data', '/golem/work', '--symlink', '/data/inputs', '/golem/input');
    args.push('--symlink', '/data/outputs', '/golem/output');
    // Nothing else is writable: not the sandbox's root, not /dev.
    args.push('--remount-ro', '/dev', '--remount-ro', '/');
    if (this.features.disableUserns) args.push('--disable-userns');
    args.push('--chdir', '/data', '--');
    // RLIMIT_NPROC counts per user namespace and uid: set inside the job's own namespace, it counts this job's
    // processes and threads only (not other jobs', not the runner's).
    if (this.prlimit) args.push(this.prlimit, `--nproc=${limits.maxProcesses}`, '--');
    args.push(...(limits.wrapper ?? []), ...argv);
    return { file: this.bwrap, args, cwd: '/', env, holdsTree, ...(this.workspaceOwner ?? {}) };
  }
}

/** No isolation (BOURSE_SANDBOX=none, local development only): the algorithm runs as the runner's user. */
class NoSandbox implements Sandbox {
  readonly kind = 'none';
  readonly workspaceOwner = undefined;
  // No RLIMIT_NPROC here: it would count every process of the runner's user; only the sampler limits processes.
  readonly userNamespacesDisabled = false;

  dataRoot(workspace: Workspace): string {
    return workspace.dir;
  }

  launch(workspace: Workspace, argv: string[], env: Record<string, string>, limits: SandboxLimits): Launch {
    const command = [...(limits.wrapper ?? []), ...argv];
    return { file: command[0], args: command.slice(1), cwd: workspace.dir, env, holdsTree: false };
  }
}

/** The configured sandbox; refuses to start without bubblewrap unless the operator opted out explicitly. */
export function createSandbox(kind: SandboxKind, hiddenPaths: string[]): Sandbox {
  if (kind === 'none') return new NoSandbox();
  const bwrap = findExecutable('bwrap');
  if (!bwrap) {
    throw new Error(
      'bubblewrap (bwrap) is not installed: the runner will not run jobs without its sandbox. Install it (Debian/Ubuntu: apt-get install bubblewrap) or, for local development only, set BOURSE_SANDBOX=none.',
    );
  }
  return new BwrapSandbox(
    bwrap,
    findExecutable('prlimit'),
    hiddenPaths.map((p) => path.resolve(p)),
  );
}

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
}

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
  launch(workspace: Workspace, argv: string[], env: Record<string, string>): Launch;
}

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/**
 * bubblewrap: new user, pid, net, ipc, uts and cgroup namespaces (no network at all), read-only system
 * directories and nothing else of the host, the job directory at /data with only /data and /data/outputs
 * writable (inputs, transformations and logs are read-only mounts, which also cannot be replaced by links),
 * an unprivileged uid, a fresh /tmp, and death with the runner.
 */
class BwrapSandbox implements Sandbox {
  readonly kind = 'bwrap';
  readonly workspaceOwner: { uid: number; gid: number } | undefined;

  constructor(
    private readonly bwrap: string,
    private readonly hiddenPaths: string[],
  ) {
    const root = process.getuid?.() === 0;
    this.workspaceOwner = root ? { uid: SANDBOX_UID, gid: SANDBOX_UID } : undefined;
  }

  dataRoot(): string {
    return '/data';
  }

  launch(workspace: Workspace, argv: string[], env: Record<string, string>): Launch {
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
    const exe = argv[0];
    if (!bound.some((dir) => isUnder(exe, dir))) {
      const prefix = path.dirname(path.dirname(exe));
      args.push('--ro-bind', prefix, prefix);
      bound.push(prefix);
    }
    for (const hidden of this.hiddenPaths) {
      if (bound.some((dir) => isUnder(hidden, dir))) args.push('--ro-bind', '/dev/null', hidden);
    }
    args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
    args.push('--bind', workspace.dir, '/data');
    args.push('--ro-bind', workspace.inputs, '/data/inputs');
    args.push('--ro-bind', workspace.transformations, '/data/transformations');
    args.push('--ro-bind', workspace.logs, '/data/logs');
    args.push('--bind', workspace.outputs, '/data/outputs');
    args.push('--chdir', '/data', '--', ...argv);
    return { file: this.bwrap, args, cwd: '/', env, ...(this.workspaceOwner ?? {}) };
  }
}

/** No isolation (BOURSE_SANDBOX=none, local development only): the algorithm runs as the runner's user. */
class NoSandbox implements Sandbox {
  readonly kind = 'none';
  readonly workspaceOwner = undefined;

  dataRoot(workspace: Workspace): string {
    return workspace.dir;
  }

  launch(workspace: Workspace, argv: string[], env: Record<string, string>): Launch {
    return { file: argv[0], args: argv.slice(1), cwd: workspace.dir, env };
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
    hiddenPaths.map((p) => path.resolve(p)),
  );
}

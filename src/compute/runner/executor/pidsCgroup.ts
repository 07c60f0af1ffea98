import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const PREFIX = 'bourse-job-';
/** A job's cgroup is populated within seconds of its creation; an empty one older than this was left by a crash. */
const STALE_MS = 10 * 60_000;
const REMOVE_ATTEMPTS = 100;
const REMOVE_RETRY_MS = 100;

/** The runner's own cgroup in the pids hierarchy (cgroup v1 `pids` or a v2 tree that delegates `pids`). */
function pidsBase(): string | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch {
    return undefined;
  }
  for (const line of lines) {
    const [, controllers, where] = line.split(':');
    if (controllers?.split(',').includes('pids')) return path.join('/sys/fs/cgroup/pids', where ?? '/');
  }
  const unified = lines.find((line) => line.startsWith('0::'));
  if (!unified) return undefined;
  const base = path.join('/sys/fs/cgroup', unified.slice(3));
  try {
    return fs.readFileSync(path.join(base, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('pids')
      ? base
      : undefined;
  } catch {
    return undefined;
  }
}

/** Removes job cgroups a killed runner left behind (only empty ones can be removed at all). */
function sweepStale(base: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(base).filter((name) => name.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const dir = path.join(base, name);
      if (Date.now() - fs.statSync(dir).mtimeMs > STALE_MS) fs.rmdirSync(dir);
    } catch {
      // in use, or already gone
    }
  }
}

/**
 * A pids cgroup for one job, where the runner may create one (root, with a writable pids hierarchy). Its limit
 * is a second hard bound beside RLIMIT_NPROC, and unlike the rlimit it records each refused fork (`pids.events`),
 * so a job that hits the limit is known to have hit it even when it collapses before a sample could see it.
 */
export class PidsCgroup {
  private constructor(private readonly dir: string) {}

  /** Creates the job's cgroup limited to `max` tasks; undefined when this host does not let the runner. */
  static create(max: number): PidsCgroup | undefined {
    const base = pidsBase();
    if (!base) return undefined;
    sweepStale(base);
    const dir = path.join(base, `${PREFIX}${randomBytes(6).toString('hex')}`);
    try {
      fs.mkdirSync(dir);
    } catch {
      return undefined;
    }
    const group = new PidsCgroup(dir);
    try {
      fs.writeFileSync(path.join(dir, 'pids.max'), String(max));
      return group;
    } catch {
      void group.remove();
      return undefined;
    }
  }

  /** Moves processes (and so everything they start afterwards) into the cgroup. */
  add(pids: number[]): void {
    for (const pid of pids) {
      try {
        fs.writeFileSync(path.join(this.dir, 'cgroup.procs'), String(pid));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: it exited meanwhile
      }
    }
  }

  /** How many forks the limit refused so far. */
  refusals(): number {
    try {
      const match = /^max\s+(\d+)/m.exec(fs.readFileSync(path.join(this.dir, 'pids.events'), 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** The most tasks the cgroup held at once, where the kernel records it. */
  peak(): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.dir, 'pids.peak'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /** Removes the cgroup once its last task is gone (killed tasks take a moment to leave); never throws. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
      try {
        fs.rmdirSync(this.dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        await new Promise((resolve) => setTimeout(resolve, REMOVE_RETRY_MS));
      }
    }
  }
}

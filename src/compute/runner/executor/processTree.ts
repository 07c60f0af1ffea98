import fs from 'node:fs/promises';

interface ProcEntry {
  pid: number;
  ppid: number;
}

async function readProcs(): Promise<ProcEntry[]> {
  const names = await fs.readdir('/proc');
  const entries = await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          const stat = await fs.readFile(`/proc/${n}/stat`, 'utf8');
          // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return { pid: Number(n), ppid: Number(fields[1]) };
        } catch {
          return undefined; // exited while we looked
        }
      }),
  );
  return entries.filter((e): e is ProcEntry => e !== undefined);
}

/** `root` and every live descendant of it (by parent pid, from /proc). */
export async function processTree(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of await readProcs()) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Kills `root` and all its descendants. The tree is frozen first (SIGSTOP, repeated until no new process
 * appears) so that nothing can fork out of it between looking and killing, then every member gets SIGKILL,
 * and so does the process group `root` leads.
 */
export async function killTree(root: number): Promise<void> {
  const frozen = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const fresh = (await processTree(root)).filter((pid) => !frozen.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP');
      frozen.add(pid);
    }
  }
  for (const pid of frozen) signal(pid, 'SIGKILL');
  signal(-root, 'SIGKILL');
}

/** Whether `pid` is a process that has not exited yet (neither gone nor a zombie waiting to be reaped). */
async function running(pid: number): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Waits (up to `timeoutMs`) until `pid` has exited. For the first process of a pid namespace this means every
 * process of the namespace is gone too: the kernel kills and reaps them all before that process can exit.
 */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (await running(pid)) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Clock ticks of /proc/<pid>/stat times (USER_HZ, 100 on every Linux the runner supports). */
const TICKS_PER_SECOND = 100;

/**
 * What the tree uses now: resident memory (VmRSS summed), tasks (processes and their threads), and CPU time so far
 * (user + system of each member and of the children it reaped, so a process that ended inside the tree still
 * counts while an ancestor lives). CPU time only `withCpu` (activities bill it; jobs do not, and a tree walk that reads
 * one file per process instead of two matters most on the largest trees).
 */
export async function treeUsage(
  root: number,
  withCpu: boolean,
): Promise<{ rssBytes: number; tasks: number; cpuMs: number }> {
  let rssBytes = 0;
  let tasks = 0;
  let ticks = 0;
  for (const pid of await processTree(root)) {
    try {
      const [status, stat] = await Promise.all([
        fs.readFile(`/proc/${pid}/status`, 'utf8'),
        withCpu ? fs.readFile(`/proc/${pid}/stat`, 'utf8') : undefined,
      ]);
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
      if (rss) rssBytes += Number(rss[1]) * 1024;
      const threads = /^Threads:\s+(\d+)/m.exec(status);
      tasks += threads ? Number(threads[1]) : 1;
      // Fields 14-17 (utime, stime, cutime, cstime); the fields after the command name start at field 3.
      if (stat !== undefined) {
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        for (let i = 11; i <= 14; i++) ticks += Number(fields[i]) || 0;
      }
    } catch {
      // exited meanwhile
    }
  }
  return { rssBytes, tasks, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
}

/** Bytes used by regular files under `dir` (links not followed). */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += (await fs.lstat(`${entry.parentPath ?? entry.path}/${entry.name}`)).size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

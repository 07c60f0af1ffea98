import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export class RedisServerMissing extends Error {
  constructor() {
    super(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, ' +
        'macOS: `brew install redis`) or set REDIS_URL to a Redis you already run.',
    );
  }
}

export interface EmbeddedRedisOptions {
  /** Where AOF files go; unset means no persistence (tests). */
  dataDir?: string;
  port?: number;
  binary?: string;
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One inline PING over a plain socket: no client library, so no reconnect timers outlive the check. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * A redis-server child process on a loopback port: `bourse dev` runs one when REDIS_URL is not set,
 * and the test suite runs its own. It can be stopped and started again on the same port (outage tests).
 */
export class EmbeddedRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly options: EmbeddedRedisOptions,
  ) {}

  static available(binary = 'redis-server'): boolean {
    return spawnSync(binary, ['--version'], { stdio: 'ignore' }).error === undefined;
  }

  static async start(options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
    if (!EmbeddedRedis.available(options.binary)) throw new RedisServerMissing();
    const server = new EmbeddedRedis(options.port ?? (await freePort()), options);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ];
    if (this.options.dataDir) {
      const dir = path.resolve(this.options.dataDir);
      fs.mkdirSync(dir, { recursive: true });
      args.push('--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec');
    } else {
      args.push('--appendonly', 'no');
    }
    const child = spawn(this.options.binary ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`redis-server exited (${code}) before answering: ${stderr.trim()}`)),
      ),
    );
    await Promise.race([this.waitUntilAnswering(), exited]);
    child.removeAllListeners('exit');
    exited.catch(() => undefined);
    // Only start-up errors matter; afterwards the pipe must not keep the parent's event loop alive.
    child.stderr?.destroy();
    child.unref();
  }

  private async waitUntilAnswering(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await pingOnce(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the server and waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}

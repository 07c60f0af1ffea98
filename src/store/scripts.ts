import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { luaDir } from '../paths';

/**
 * Loads every Lua script in src/store/lua (one script a file, named after the file) and calls them by name.
 * Scripts are loaded once per connection; after Redis restarts (script cache empty) they are reloaded on
 * reconnect, and a NOSCRIPT answer in between falls back to EVAL, so a call never fails for that reason.
 */
export class Scripts {
  private readonly sources = new Map<string, string>();
  private readonly shas = new Map<string, string>();
  private loadedFlag = false;

  constructor(
    private readonly redis: Redis,
    dir: string = luaDir,
  ) {
    for (const file of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .sort()) {
      this.sources.set(path.basename(file, '.lua'), fs.readFileSync(path.join(dir, file), 'utf8'));
    }
    redis.on('ready', () => void this.load().catch(() => undefined));
    redis.on('close', () => {
      this.loadedFlag = false;
    });
  }

  get loaded(): boolean {
    return this.loadedFlag;
  }

  get names(): string[] {
    return [...this.sources.keys()];
  }

  async load(): Promise<void> {
    for (const [name, source] of this.sources) {
      this.shas.set(name, (await this.redis.script('LOAD', source)) as string);
    }
    this.loadedFlag = true;
  }

  async run<T = unknown>(name: string, keys: string[], args: Array<string | number>): Promise<T> {
    const source = this.sources.get(name);
    if (source === undefined) throw new Error(`Unknown Lua script "${name}"`);
    const sha = this.shas.get(name);
    if (sha !== undefined) {
      try {
        return (await this.redis.evalsha(sha, keys.length, ...keys, ...args)) as T;
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        this.loadedFlag = false;
        void this.load().catch(() => undefined);
      }
    }
    return (await this.redis.eval(source, keys.length, ...keys, ...args)) as T;
  }
}

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';

/**
 * Lua scripts as typed contracts (BullMQ's lesson). Each multi-key transition is one small script in a `lua/`
 * folder beside the domain that owns it, declared once with `defineScript`: its KEYS and ARGV by name, in order,
 * and a parser of its reply. Callers pass named keys and arguments, never positional arrays.
 *
 * Conventions every script follows:
 * - A header comment: what it does, KEYS, ARGV, Returns.
 * - Shared helpers come from `src/store/lua/include/<name>.lua`, spliced in where a line reads `--- @include "<name>"`
 *   (each at most once per script).
 * - The reply is an array whose first element is a status word: `'ok'`, or the reason the transition was refused
 *   (`'notfound'`, `'illegal'`, …); further elements carry values. `outcome()` reads it.
 */

const INCLUDE_DIR = path.join(__dirname, 'lua', 'include');
const INCLUDE = /^--- @include "([\w-]+)"\s*$/gm;

function withIncludes(source: string, seen = new Set<string>()): string {
  return source.replace(INCLUDE, (_line, name: string) => {
    if (seen.has(name)) return '';
    seen.add(name);
    return withIncludes(fs.readFileSync(path.join(INCLUDE_DIR, `${name}.lua`), 'utf8'), seen).trimEnd();
  });
}

export type ScriptValue = string | number;

export interface ScriptSpec<K extends string, A extends string, R> {
  /** Short name for errors and logs, e.g. `subscription.create`. */
  name: string;
  /** Absolute path of the .lua file (use `path.join(__dirname, 'lua', '<file>.lua')`). */
  file: string;
  /** KEYS[1..n] by name, in order. */
  keys: readonly K[];
  /** ARGV[1..n] by name, in order. */
  args: readonly A[];
  /** Turns Redis's reply into the script's typed result. */
  parse(reply: unknown): R;
}

export interface Script<K extends string, A extends string, R> extends ScriptSpec<K, A, R> {
  readonly source: string;
  readonly sha: string;
}

/** Every script defined so far (modules define theirs when first imported). */
const defined = new Map<string, Script<string, string, unknown>>();

/** Declares a script: reads its file (includes spliced) once, at import time. */
export function defineScript<K extends string, A extends string, R>(spec: ScriptSpec<K, A, R>): Script<K, A, R> {
  const source = withIncludes(fs.readFileSync(spec.file, 'utf8'));
  const script = { ...spec, source, sha: createHash('sha1').update(source).digest('hex') };
  defined.set(spec.name, script as Script<string, string, unknown>);
  return script;
}

/** A script reply split into its status word and values (see the conventions above). */
export interface Outcome {
  code: string;
  values: unknown[];
}

export function outcome(reply: unknown): Outcome {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
    throw new Error(`Lua script broke the reply convention: ${JSON.stringify(reply)}`);
  }
  return { code: reply[0], values: reply.slice(1) };
}

/** A hash as HGETALL (or a script's withHash) lists it, `[field, value, ...]`, as an object. */
export function hashOf(flat: unknown[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[String(flat[i])] = String(flat[i + 1]);
  return hash;
}

/** Optional variadic tails, for the few scripts whose key or argument count depends on the record (result files). */
export interface Tail {
  keys?: string[];
  args?: ScriptValue[];
}

/**
 * Calls scripts by SHA (EVALSHA); after a Redis restart emptied the script cache, a NOSCRIPT answer falls back to
 * EVAL, which also caches the script again, so a call never fails for that reason. `load()` warms the cache with
 * every script defined so far and is what /ready reports.
 */
export class Scripts {
  private loadedFlag = false;

  constructor(private readonly redis: Redis) {
    redis.on('ready', () => void this.load().catch(() => undefined));
    redis.on('close', () => {
      this.loadedFlag = false;
    });
  }

  get loaded(): boolean {
    return this.loadedFlag;
  }

  async load(): Promise<void> {
    for (const script of defined.values()) await this.redis.script('LOAD', script.source);
    this.loadedFlag = true;
  }

  async call<K extends string, A extends string, R>(
    script: Script<K, A, R>,
    keys: Record<K, string>,
    args: Record<A, ScriptValue>,
    tail: Tail = {},
  ): Promise<R> {
    const keyList = [...script.keys.map((name) => keys[name]), ...(tail.keys ?? [])];
    const argList = [...script.args.map((name) => args[name]), ...(tail.args ?? [])];
    return script.parse(await this.evaluate(script.sha, script.source, keyList, argList));
  }

  private async evaluate(sha: string, source: string, keys: string[], args: ScriptValue[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(source, keys.length, ...keys, ...args);
    }
  }
}

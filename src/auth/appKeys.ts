import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Core } from '../kernel/core';
import { Conflict, Invalid, NotFound } from '../kernel/errors';
import { defineScript, outcome } from '../store/scripts';

/**
 * App keys as yagna users know them: long-lived, revocable bearer keys bound to an address. A key is an opaque
 * random string (it never contains a dot, so it is never mistaken for a JWT) naming its own Redis record; it never
 * expires and stops working the moment it is dropped, on every instance (no cache: one HGETALL per request).
 */

export interface AppKey {
  name: string;
  key: string;
  /** Lower-case 0x address the key acts for. */
  address: string;
  /** RFC 3339 creation time. */
  created: string;
}

/** Most app keys one address may hold, so a signer cannot grow Redis without bound. */
export const MAX_APP_KEYS_PER_ADDRESS = 100;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KEY = /^[0-9a-f]{48}$/;

const createScript = defineScript({
  name: 'appKey.create',
  file: path.join(__dirname, 'lua', 'app_key_create.lua'),
  keys: ['owner', 'record'],
  args: ['name', 'key', 'address', 'createdMs', 'limit'],
  parse: (reply) => outcome(reply).code,
});

const dropScript = defineScript({
  name: 'appKey.drop',
  file: path.join(__dirname, 'lua', 'app_key_drop.lua'),
  keys: ['owner', 'record'],
  args: ['name', 'key'],
  parse: (reply) => outcome(reply).code,
});

/** 400 unless `name` is 1-64 letters, digits, dots, dashes or underscores (starting with a letter or digit). */
export function parseAppKeyName(name: string): string {
  if (!NAME.test(name)) {
    throw new Invalid('Invalid name: use 1-64 letters, digits, ".", "-" or "_", starting with a letter or digit');
  }
  return name;
}

/** True when `token` has the shape of an app key (and so is looked up rather than verified as a JWT). */
export function looksLikeAppKey(token: string): boolean {
  return KEY.test(token);
}

export class AppKeyService {
  constructor(private readonly core: Core) {}

  /** A new key named `name` for `address`; 409 when the address already has a key of that name. */
  async create(address: string, name: string): Promise<AppKey> {
    const owner = address.toLowerCase();
    const key = randomBytes(24).toString('hex');
    const createdMs = Date.now();
    const code = await this.core.scripts.call(
      createScript,
      { owner: this.core.keys.ownerAppKeys(owner), record: this.core.keys.appKey(key) },
      { name: parseAppKeyName(name), key, address: owner, createdMs, limit: MAX_APP_KEYS_PER_ADDRESS },
    );
    if (code === 'exists') throw new Conflict(`App key "${name}" already exists`);
    if (code === 'full') throw new Conflict(`An address may hold at most ${MAX_APP_KEYS_PER_ADDRESS} app keys`);
    return { name, key, address: owner, created: new Date(createdMs).toISOString() };
  }

  /** The address's keys, by name. */
  async list(address: string): Promise<AppKey[]> {
    const owner = address.toLowerCase();
    const byName = await this.core.redis.hgetall(this.core.keys.ownerAppKeys(owner));
    const names = Object.keys(byName).sort();
    const created = await Promise.all(
      names.map((name) => this.core.redis.hget(this.core.keys.appKey(byName[name]), 'createdMs')),
    );
    return names.map((name, i) => ({
      name,
      key: byName[name],
      address: owner,
      created: new Date(Number(created[i] ?? 0)).toISOString(),
    }));
  }

  /** Drops the address's key named `nameOrKey` (or that is `nameOrKey`); 404 when it has none such. */
  async drop(address: string, nameOrKey: string): Promise<void> {
    const owner = address.toLowerCase();
    const ownerKey = this.core.keys.ownerAppKeys(owner);
    let name: string | undefined = nameOrKey;
    let key = await this.core.redis.hget(ownerKey, nameOrKey);
    if (key === null && looksLikeAppKey(nameOrKey)) {
      const record = await this.core.redis.hmget(this.core.keys.appKey(nameOrKey), 'address', 'name');
      key = record[0] === owner ? nameOrKey : null;
      name = record[1] ?? undefined;
    }
    if (key === null || name === undefined) throw new NotFound(`App key "${nameOrKey}" not found`);
    const code = await this.core.scripts.call(
      dropScript,
      { owner: ownerKey, record: this.core.keys.appKey(key) },
      { name, key },
    );
    if (code !== 'ok') throw new NotFound(`App key "${nameOrKey}" not found`);
  }

  /** The key's owner and name, or undefined when there is no such key (never was, or dropped). */
  async lookup(key: string): Promise<{ address: string; name: string } | undefined> {
    const [address, name] = await this.core.redis.hmget(this.core.keys.appKey(key), 'address', 'name');
    return address && name ? { address, name } : undefined;
  }
}

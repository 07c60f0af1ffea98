import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Core } from '../kernel/core';
import { Forbidden, Gone, Invalid, NotFound } from '../kernel/errors';
import { defineScript, outcome } from '../store/scripts';
import type { InvokeServiceDefinition } from '../types/schemas';
import { parseService, type ServiceRecord } from './record';

const lua = (name: string): string => path.join(__dirname, 'lua', `${name}.lua`);

const registerScript = defineScript({
  name: 'invoke.register',
  file: lua('register'),
  keys: ['service', 'providerServices', 'activeServices'],
  args: ['serviceId', 'provider', 'now', 'definition'],
  parse: (reply) => outcome(reply).code,
});

const updateScript = defineScript({
  name: 'invoke.update',
  file: lua('update'),
  keys: ['service'],
  args: ['caller', 'now', 'definition'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return { code, version: Number(values[0] ?? 0) };
  },
});

const retireScript = defineScript({
  name: 'invoke.retire',
  file: lua('retire'),
  keys: ['service', 'providerServices', 'activeServices'],
  args: ['caller', 'serviceId', 'now'],
  parse: (reply) => outcome(reply).code,
});

export const MAX_PAGE_SIZE = 100;

/** Service ids are opaque: 16 random bytes in hex, prefixed so they never look like a job id. */
const SERVICE_ID = /^svc-[0-9a-f]{32}$/;

export function isServiceId(id: string): boolean {
  return SERVICE_ID.test(id);
}

/** Rules the schema cannot say: argument names are unique within inputs and within outputs. */
function checkDefinition(definition: InvokeServiceDefinition): void {
  for (const side of ['inputs', 'outputs'] as const) {
    const seen = new Set<string>();
    definition[side].forEach((arg, index) => {
      if (seen.has(arg.argname))
        throw new Invalid(`Invalid request body: body.${side}.${index}.argname '${arg.argname}' is declared twice`);
      seen.add(arg.argname);
    });
  }
}

/**
 * The registry of invokable services: register (owned by the registering provider), read, list, update as a new
 * version (earlier versions stay readable for the jobs that started with them), retire. Update and retire check
 * the owner and the state in the same Lua script that changes them, so a racing update and retire cannot both win.
 */
export class ServiceRegistry {
  constructor(private readonly core: Core) {}

  async register(provider: string, definition: InvokeServiceDefinition): Promise<ServiceRecord> {
    checkDefinition(definition);
    const k = this.core.keys;
    const serviceId = `svc-${randomBytes(16).toString('hex')}`;
    const code = await this.core.scripts.call(
      registerScript,
      {
        service: k.invokeService(serviceId),
        providerServices: k.providerInvokeServices(provider),
        activeServices: k.activeInvokeServices(),
      },
      { serviceId, provider: provider.toLowerCase(), now: Date.now(), definition: JSON.stringify(definition) },
    );
    if (code !== 'ok') throw new Error(`service id collision: ${serviceId}`);
    return (await this.get(serviceId)) as ServiceRecord;
  }

  /** The service at its current version, or at `version` (the version a job started with). */
  async get(serviceId: string, version?: number): Promise<ServiceRecord | undefined> {
    if (!isServiceId(serviceId)) return undefined;
    return parseService(await this.core.redis.hgetall(this.core.keys.invokeService(serviceId)), version);
  }

  async require(serviceId: string): Promise<ServiceRecord> {
    const service = await this.get(serviceId);
    if (!service) throw new NotFound(`Service ${serviceId} not found`);
    return service;
  }

  /** Active services, oldest first, of one provider or of all; `offset`/`limit` page through them. */
  async list(
    provider: string | undefined,
    offset: number,
    limit: number,
  ): Promise<{ total: number; items: ServiceRecord[] }> {
    const k = this.core.keys;
    const set = provider ? k.providerInvokeServices(provider) : k.activeInvokeServices();
    const [total, ids] = await Promise.all([
      this.core.redis.zcard(set),
      this.core.redis.zrange(set, String(offset), String(offset + limit - 1)),
    ]);
    const items = await Promise.all(ids.map((id) => this.get(id)));
    return { total, items: items.filter((s): s is ServiceRecord => s !== undefined) };
  }

  async update(caller: string, serviceId: string, definition: InvokeServiceDefinition): Promise<ServiceRecord> {
    checkDefinition(definition);
    if (!isServiceId(serviceId)) throw new NotFound(`Service ${serviceId} not found`);
    const { code } = await this.core.scripts.call(
      updateScript,
      { service: this.core.keys.invokeService(serviceId) },
      { caller: caller.toLowerCase(), now: Date.now(), definition: JSON.stringify(definition) },
    );
    this.refuse(code, serviceId);
    return this.require(serviceId);
  }

  async retire(caller: string, serviceId: string): Promise<ServiceRecord> {
    if (!isServiceId(serviceId)) throw new NotFound(`Service ${serviceId} not found`);
    const service = await this.get(serviceId);
    const k = this.core.keys;
    const code = await this.core.scripts.call(
      retireScript,
      {
        service: k.invokeService(serviceId),
        providerServices: k.providerInvokeServices(service?.provider ?? caller),
        activeServices: k.activeInvokeServices(),
      },
      { caller: caller.toLowerCase(), serviceId, now: Date.now() },
    );
    this.refuse(code, serviceId);
    return this.require(serviceId);
  }

  private refuse(code: string, serviceId: string): void {
    if (code === 'ok') return;
    if (code === 'notfound') throw new NotFound(`Service ${serviceId} not found`);
    if (code === 'forbidden') throw new Forbidden(`Service ${serviceId} belongs to another provider`);
    if (code === 'retired') throw new Gone(`Service ${serviceId} is retired`);
    throw new Error(`unexpected reply ${code} for service ${serviceId}`);
  }
}

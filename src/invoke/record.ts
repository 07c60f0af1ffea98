import type { InvokeServiceDefinition } from '../types/schemas';

export type ServiceState = 'active' | 'retired';
export type ArgType = 'string' | 'number' | 'boolean' | 'json' | 'url';

/** One invokable service as stored: who provides it, its state, its current version and that version's definition. */
export interface ServiceRecord {
  serviceId: string;
  provider: string;
  state: ServiceState;
  version: number;
  createdMs: number;
  updatedMs: number;
  definition: InvokeServiceDefinition;
}

/** The service hash as Redis returns it, at its current version (or at `version` when given); undefined if absent. */
export function parseService(raw: Record<string, string>, version?: number): ServiceRecord | undefined {
  if (raw.serviceId === undefined) return undefined;
  const at = version ?? Number(raw.version);
  const stored = raw[`def:${at}`];
  if (stored === undefined) return undefined;
  return {
    serviceId: raw.serviceId,
    provider: raw.provider,
    state: raw.state === 'retired' ? 'retired' : 'active',
    version: at,
    createdMs: Number(raw.createdMs),
    updatedMs: Number(raw.updatedMs),
    definition: JSON.parse(stored) as InvokeServiceDefinition,
  };
}

/** Public metadata of a service: the definition (minus nothing secret) plus its identity and endpoint paths. */
export function serviceMetadata(service: ServiceRecord, basePath: string): Record<string, unknown> {
  return {
    serviceId: service.serviceId,
    provider: service.provider,
    state: service.state,
    version: service.version,
    createdAt: new Date(service.createdMs).toISOString(),
    updatedAt: new Date(service.updatedMs).toISOString(),
    ...service.definition,
    endpoints: {
      metadata: `${basePath}/services/${service.serviceId}`,
      invoke: `${basePath}/${service.serviceId}`,
    },
  };
}

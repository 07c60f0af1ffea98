import type { Core } from '../kernel/core';
import { ServiceRegistry } from './services';

/** The invoke domain (OEP-6): the registry of invokable services. */
export interface InvokeServices {
  registry: ServiceRegistry;
}

export function createInvoke(core: Core): InvokeServices {
  return { registry: new ServiceRegistry(core) };
}

import type { JobStore } from '../compute/jobs/store';
import type { Core } from '../kernel/core';
import { type InvocationAgreements, InvocationService } from './invocations';
import { ServiceRegistry } from './services';

/** The invoke domain (OEP-6): the registry of invokable services and their invocations (compute jobs). */
export interface InvokeServices {
  registry: ServiceRegistry;
  invocations: InvocationService;
}

export function createInvoke(core: Core, jobs: JobStore, agreements: InvocationAgreements): InvokeServices {
  const registry = new ServiceRegistry(core);
  return { registry, invocations: new InvocationService(core, registry, jobs, agreements) };
}

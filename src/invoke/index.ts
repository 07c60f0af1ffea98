import type { JobStore } from '../compute/jobs/store';
import type { Core } from '../kernel/core';
import { type InvocationAgreements, InvocationService } from './invocations';
import { ProofService } from './proofs';
import { ServiceRegistry } from './services';
import { WebhookService } from './webhooks';

/** The invoke domain (OEP-6): the registry of invokable services and their invocations (compute jobs). */
export interface InvokeServices {
  registry: ServiceRegistry;
  invocations: InvocationService;
  proofs: ProofService;
  webhooks: WebhookService;
}

export function createInvoke(core: Core, jobs: JobStore, agreements: InvocationAgreements): InvokeServices {
  const registry = new ServiceRegistry(core);
  const invocations = new InvocationService(core, registry, jobs, agreements);
  const webhooks = new WebhookService(core);
  return { registry, invocations, webhooks, proofs: new ProofService(core, invocations, jobs, webhooks) };
}

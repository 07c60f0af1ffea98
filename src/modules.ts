import type { Core, Module } from './core';
import { healthModule } from './http/routes/health';

/**
 * Every domain module of the API, in mount order. Add a domain by adding one line here.
 */
export function apiModules(core: Core): Module[] {
  return [healthModule(core)];
}

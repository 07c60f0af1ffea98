import { authModule } from './auth/routes';
import { computeModule } from './compute/module';
import type { Core, Module } from './core';
import { agreementsModule } from './market/agreementsModule';
import { MarketService, marketModule } from './market/module';

/**
 * Every domain module of the API, in mount order. Add a domain by adding one line here.
 */
export function apiModules(core: Core): Module[] {
  const market = new MarketService(core);
  return [authModule(core), marketModule(market), agreementsModule(core, market), computeModule(core)];
}

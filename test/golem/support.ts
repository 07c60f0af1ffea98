import { Wallet } from 'ethers';
import { createAppKey } from '../../src/auth/client';
import type { TestInstance } from '../support/instance';

/** A fresh identity and an app key for it, made through the API's signed app-key route (as `bourse app-key`). */
export async function appKeyParty(t: TestInstance, name = 'golem-js'): Promise<{ address: string; key: string }> {
  const wallet = Wallet.createRandom() as unknown as Wallet;
  const created = await createAppKey({ url: t.url, wallet }, name);
  return { address: wallet.address.toLowerCase(), key: created.key };
}

/** Total HTTP requests the instance has answered so far (its bourse_http_requests_total counter). */
export async function requestCount(t: TestInstance): Promise<number> {
  const metric = await t.instance.core.metrics.httpRequests.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

/** Requests answered so far on one route pattern (e.g. `/payment-api/v1/invoiceEvents`). */
export async function routeCount(t: TestInstance, route: string): Promise<number> {
  const metric = await t.instance.core.metrics.httpRequests.get();
  return metric.values.filter((v) => v.labels.route === route).reduce((sum, v) => sum + v.value, 0);
}

import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import { parseAddress } from '../../auth/signedRequest';
import { requireField } from '../fields';
import { liveProviderAddresses } from '../../compute/api/oceanEnvironment';
import { datasetsOf, initializeAnswer, oceanOrder } from '../../compute/api/oceanOrder';
import type { Core } from '../../kernel/core';
import { NotFound } from '../../kernel/errors';
import { projectRoot } from '../../kernel/paths';
import type { ApiServices } from '../../main/services';
import type { ComputeStartRequest } from '../../types/schemas';
import { validator } from '../validate';

const API = '/api/services';
const VERSION = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/**
 * Every Ocean route Bourse serves, by the names ocean.js looks them up by (ocean-node's names), as [METHOD, path].
 * ocean.js finds nothing it is not told about here, so a new Ocean route must be added to this table.
 */
export const OCEAN_SERVICE_ENDPOINTS: Record<string, [string, string]> = {
  nonce: ['GET', `${API}/nonce`],
  computeEnvironments: ['GET', `${API}/computeEnvironments`],
  initializeCompute: ['POST', `${API}/initializeCompute`],
  computeStart: ['POST', `${API}/compute`],
  freeCompute: ['POST', `${API}/freeCompute`],
  computeStatus: ['GET', `${API}/compute`],
  computeStop: ['PUT', `${API}/compute`],
  computeDelete: ['DELETE', `${API}/compute`],
  computeResult: ['GET', `${API}/computeResult`],
  computeStreamableLogs: ['GET', `${API}/computeStreamableLogs`],
  generateAuthToken: ['POST', `${API}/auth/token`],
  invalidateAuthToken: ['POST', `${API}/auth/token/invalidate`],
  create_auth_token: ['GET', `${API}/createAuthToken`],
  delete_auth_token: ['DELETE', `${API}/deleteAuthToken`],
};

/** Agreement ids are 64 hex digits; anything else names no agreement (and is never used in a key name). */
const AGREEMENT_ID = /^[0-9a-f]{64}$/;
const isStartRequest = validator<ComputeStartRequest>('ComputeStartRequest.json');

/**
 * ocean-node's discovery document (GET /), which every ocean.js ProviderInstance call reads first, and
 * initializeCompute. `providerAddress` is the first live runner's provider identity (null with none) and
 * `providerAddresses` all of them; `chainIds` is empty, since Bourse is paid through agreements, on no chain.
 */
export function mountOceanRoutes(router: Router, core: Core, services: ApiServices): void {
  router.get('/', async (ctx) => {
    const providers = await liveProviderAddresses(core);
    ctx.body = {
      providerAddress: providers[0] ?? null,
      providerAddresses: providers,
      chainIds: [],
      software: 'Bourse',
      version: VERSION,
      serviceEndpoints: OCEAN_SERVICE_ENDPOINTS,
    };
  });

  // Unsigned, like ocean-node's: it names the consumer, and answers only for an agreement that consumer requested.
  router.post(`${API}/initializeCompute`, async (ctx) => {
    const body: unknown = ctx.request.body;
    if (!isStartRequest(body)) return;
    const consumer = parseAddress(requireField(ctx, 'consumerAddress'), 'consumerAddress').toLowerCase();
    const order = oceanOrder(body);
    const hex = order.agreementId.toLowerCase();
    const agreement = AGREEMENT_ID.test(hex) ? await services.agreements.render(hex, consumer) : undefined;
    if (!agreement || agreement.demand.requestorId.toLowerCase() !== consumer)
      throw new NotFound(`Agreement ${order.agreementId} not found`);
    ctx.body = initializeAnswer(
      order,
      {
        agreementId: agreement.agreementId,
        state: agreement.state,
        providerId: agreement.offer.providerId.toLowerCase(),
        demandProperties: agreement.demand.properties,
        offerProperties: agreement.offer.properties,
      },
      datasetsOf(body).length,
    );
  });
}

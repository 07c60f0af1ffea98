import fs from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import { bearerToken, marketAuth } from '../auth';
import { TokenService } from '../../auth/tokens';
import type { Core } from '../../kernel/core';
import { projectRoot } from '../../kernel/paths';

/**
 * The yagna API level Bourse serves. Clients check it against their minimum (golem-js 3 wants at least 0.15.2),
 * so it names the yagna release whose Market, Payment and identity wire format Bourse follows, not Bourse's own.
 */
export const YAGNA_API_VERSION = '0.16.0';
/** When that yagna release was published (yagna's format: a date-time without zone). */
const YAGNA_API_RELEASE = '2024-06-03T12:00:00';

const bourseVersion = (): string =>
  (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** yagna's version and identity endpoints: `GET /version/get` (no auth) and `GET /me` (the caller's identity). */
export function mountIdentityRoutes(router: Router, core: Core): void {
  const tokens = new TokenService(core);
  const version = {
    current: {
      version: YAGNA_API_VERSION,
      name: `bourse ${bourseVersion()} (yagna API ${YAGNA_API_VERSION})`,
      seen: true,
      releaseTs: YAGNA_API_RELEASE,
    },
    pending: null,
  };

  router.get('/version/get', (ctx) => {
    ctx.body = version;
  });

  router.get('/me', marketAuth(tokens), async (ctx) => {
    // The name is the app key's, as yagna names the identity after the key's owner alias; tokens are "default".
    const claims = await tokens.verify(bearerToken(ctx) as string);
    const name = typeof claims === 'object' && claims.appKey !== undefined ? claims.appKey : 'default';
    ctx.body = { identity: ctx.state.identity as string, name, role: 'manager' };
  });
}

import type Router from '@koa/router';
import { parseAppKeyName } from '../../auth/appKeys';
import { Authenticator } from '../../auth/authenticator';
import { commandMessage } from '../../auth/signedRequest';
import { readSignedFields, requireField } from '../fields';
import type { Core } from '../../kernel/core';

/**
 * App keys for a signed caller (address + nonce + signature, like the token routes). The signed message is
 * `address + nonce + command + argument`: `createAppKey<name>`, `listAppKeys`, `dropAppKey<name or key>`, so a
 * signature cannot be replayed for another name.
 */
export function mountAppKeyRoutes(router: Router, core: Core): void {
  const auth = new Authenticator(core);
  const appKeys = auth.tokens.appKeys;
  const BASE = '/api/services/appKeys';

  router.post(BASE, async (ctx) => {
    const signed = readSignedFields(ctx, 'address');
    const name = parseAppKeyName(requireField(ctx, 'name'));
    const address = await auth.signer(signed, [commandMessage(signed, `createAppKey${name}`)]);
    ctx.status = 201;
    ctx.body = await appKeys.create(address, name);
  });

  router.get(BASE, async (ctx) => {
    const signed = readSignedFields(ctx, 'address');
    const address = await auth.signer(signed, [commandMessage(signed, 'listAppKeys')]);
    ctx.body = await appKeys.list(address);
  });

  router.delete(`${BASE}/:nameOrKey`, async (ctx) => {
    const signed = readSignedFields(ctx, 'address');
    const nameOrKey = ctx.params.nameOrKey;
    const address = await auth.signer(signed, [commandMessage(signed, `dropAppKey${nameOrKey}`)]);
    await appKeys.drop(address, nameOrKey);
    ctx.status = 204;
  });
}

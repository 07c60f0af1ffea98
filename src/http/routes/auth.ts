import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Core } from '../../kernel/core';
import { validator } from '../validate';
import type { AuthTokenInvalidateRequest, AuthTokenRequest } from '../../types/schemas';
import { Authenticator } from '../../auth/authenticator';
import { commandMessage, parseAddress, parseWholeNumber, SignedFields } from '../../auth/signedRequest';
import { readField, readSignedFields, requireField } from '../fields';
import { TokenIssuer } from '../../auth/issuer';

const isAuthTokenRequest = validator<AuthTokenRequest>('AuthTokenRequest.json');
const isAuthTokenInvalidateRequest = validator<AuthTokenInvalidateRequest>('AuthTokenInvalidateRequest.json');

/** Provider v2 layout for the token endpoints: address + nonce. */
const providerMessage = (signed: SignedFields): string => signed.address + signed.nonce;

/**
 * Identity endpoints under /api/services: the nonce, and auth tokens in both dialects —
 * Provider (GET createAuthToken / DELETE deleteAuthToken, signed address + nonce) and
 * ocean-node (POST auth/token and auth/token/invalidate, signed address + nonce + command).
 */
export function mountAuthRoutes(router: Router, core: Core): void {
  const auth = new Authenticator(core);
  const issuer = new TokenIssuer(auth, core.config.tokenMaxLifetimeSeconds);

  const expiration = (ctx: Context): number =>
    issuer.expiry(parseWholeNumber(requireField(ctx, 'expiration'), 'expiration', ' (unix seconds)'), 'expiration');
  const validUntil = (ctx: Context): number => {
    const ms = readField(ctx, 'validUntil');
    if (ms === undefined) return issuer.defaultExpiry();
    return issuer.expiry(Math.floor(parseWholeNumber(ms, 'validUntil', ' (unix milliseconds)') / 1000), 'validUntil');
  };

  router.get('/api/services/nonce', async (ctx) => {
    const address = parseAddress(requireField(ctx, 'userAddress'), 'userAddress');
    ctx.body = { nonce: await auth.nonces.current(address) };
  });

  router.get('/api/services/createAuthToken', async (ctx) => {
    const signed = readSignedFields(ctx, 'address');
    const expiresAt = expiration(ctx);
    ctx.body = { token: await issuer.create(signed, providerMessage(signed), expiresAt) };
  });

  router.delete('/api/services/deleteAuthToken', async (ctx) => {
    const signed = readSignedFields(ctx, 'address');
    await issuer.revoke(signed, providerMessage(signed), requireField(ctx, 'token'));
    ctx.body = { success: 'Token has been deactivated.' };
  });

  router.post('/api/services/auth/token', async (ctx) => {
    isAuthTokenRequest(ctx.request.body);
    const signed = readSignedFields(ctx, 'address');
    const expiresAt = validUntil(ctx);
    ctx.body = { token: await issuer.create(signed, commandMessage(signed, 'createAuthToken'), expiresAt) };
  });

  router.post('/api/services/auth/token/invalidate', async (ctx) => {
    isAuthTokenInvalidateRequest(ctx.request.body);
    const signed = readSignedFields(ctx, 'address');
    // ocean.js signs address + nonce here (no command name); ocean-node's command layout is accepted too.
    const layouts = [commandMessage(signed, 'invalidateAuthToken'), providerMessage(signed)];
    await issuer.revoke(signed, layouts, requireField(ctx, 'token'));
    ctx.body = { success: true };
  });
}

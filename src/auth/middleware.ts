import type { Context, Middleware } from 'koa';
import { Unauthorized } from '../errors';
import type { TokenService } from './tokens';

/** The token a request carries: `Authorization: Bearer <t>`, `Authorization: <t>`, `AuthToken: <t>` or `?authToken=<t>`. */
export function bearerToken(ctx: Context): string | undefined {
  const authorization = ctx.get('authorization').trim();
  if (authorization) return authorization.replace(/^Bearer\s+/i, '');
  const header = ctx.get('authtoken').trim();
  if (header) return header;
  const query = ctx.query.authToken;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

/**
 * Market API authentication (yagna style): a token is required, failures are 401 plain text,
 * and the identity behind it (`ctx.state.identity`, lower-case 0x address) is the node id.
 */
export function marketAuth(tokens: TokenService): Middleware {
  return async (ctx, next) => {
    const token = bearerToken(ctx);
    if (!token) throw new Unauthorized('Missing application key', { plainText: true });
    const claims = await tokens.verify(token);
    if (typeof claims === 'string') throw new Unauthorized('Invalid application key', { plainText: true });
    ctx.state.identity = claims.address;
    await next();
  };
}

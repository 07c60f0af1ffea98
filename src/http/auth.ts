import type { Context, Middleware } from 'koa';
import { Forbidden, Unauthenticated } from '../kernel/errors';
import { TOKEN_FAILURE_TEXT, type Authenticator } from '../auth/authenticator';
import { commandMessage, type SignedFields } from '../auth/signedRequest';
import { readField, readSignedFields } from './fields';
import type { TokenService } from '../auth/tokens';
import type { RequestState } from './requestState';

/**
 * The token a request carries: `Authorization: Bearer <t>`, `Authorization: <t>`, `AuthToken: <t>` or
 * `?authToken=<t>`.
 */
export function bearerToken(ctx: Context): string | undefined {
  const authorization = ctx.get('authorization').trim();
  if (authorization) return authorization.replace(/^Bearer\s+/i, '');
  const header = ctx.get('authtoken').trim();
  if (header) return header;
  const query = ctx.query.authToken;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

const INVALID_KEY = 'Invalid application key';

/**
 * Market API authentication (yagna style): a token is required, failures are 401 plain text,
 * and the identity behind it (`ctx.state.identity`, lower-case 0x address) is the node id.
 * A long-poll the request makes ends with the same 401 as soon as its token is revoked, on any instance: the answer
 * the client's next call would get anyway, given before the poll could hand it any more events.
 */
export function marketAuth(tokens: TokenService): Middleware {
  return async (ctx, next) => {
    const token = bearerToken(ctx);
    if (!token) throw new Unauthenticated('Missing application key');
    const claims = await tokens.verify(token);
    if (typeof claims === 'string') throw new Unauthenticated(INVALID_KEY);
    const state = ctx.state as RequestState;
    state.identity = claims.address;
    state.onAbortSignal((signal) => tokens.endPollsOnRevocation(signal, claims, INVALID_KEY));
    return next(); // returned, not awaited: no suspended frame per waiting long-poll
  };
}

/**
 * The provider job API's authentication (runners, as their provider identity): a token, as on the Market API. Its
 * errors are JSON, 401 included, because it lives under /api/ (see src/http/errors.ts).
 */
export function providerAuth(tokens: TokenService): Middleware {
  return marketAuth(tokens);
}

export interface OceanAuthOptions {
  /** ocean-node 3.x command name: the signed message is `address + nonce + command`. */
  command: string;
  /** The Provider-style message the route also accepts, built from the request (it ends with the nonce). */
  message?(ctx: Context, signed: SignedFields): string;
  /** Whether the route needs a party (default true); otherwise anonymous requests pass without an identity. */
  required?: boolean;
}

/** Request fields that name the party a request acts for; the first one present is the signer of a signed request. */
const ADDRESS_FIELDS = ['consumerAddress', 'address', 'userAddress'];

/**
 * Authentication for the compute (Ocean) routes. The caller is, in order of precedence, the signer of a
 * signed request (`signature` + `nonce` + address field, from the query or JSON body) or the holder of an auth
 * token (see bearerToken). Sets `ctx.state.identity` (lower-case address). A request that names an address
 * other than the authenticated one is 403, and a signed request's nonce is only spent once all checks pass.
 */
export function oceanAuth(auth: Authenticator, options: OceanAuthOptions): Middleware {
  const required = options.required ?? true;
  return async (ctx, next) => {
    const identity =
      readField(ctx, 'signature') !== undefined ? await signedCaller(ctx, auth, options) : await tokenCaller(ctx, auth);
    if (identity !== undefined) ctx.state.identity = identity;
    else if (required) throw new Unauthenticated('Missing signature or auth token');
    await next();
  };
}

async function signedCaller(ctx: Context, auth: Authenticator, options: OceanAuthOptions): Promise<string> {
  const addressField = ADDRESS_FIELDS.find((name) => readField(ctx, name) !== undefined) ?? ADDRESS_FIELDS[0];
  const signed = readSignedFields(ctx, addressField);
  const messages = [commandMessage(signed, options.command)];
  if (options.message) messages.push(options.message(ctx, signed));
  auth.checkSignature(signed, messages);
  const address = signed.address.toLowerCase();
  requireOwnAddresses(ctx, address);
  await auth.spendNonce(signed);
  return address;
}

async function tokenCaller(ctx: Context, auth: Authenticator): Promise<string | undefined> {
  const token = bearerToken(ctx);
  if (token === undefined) return undefined;
  const claims = await auth.tokenClaims(token);
  requireOwnAddresses(ctx, claims.address);
  // A long-poll or stream of this request (the compute log tail) ends once the token is revoked.
  (ctx.state as RequestState).onAbortSignal((signal) =>
    auth.tokens.endPollsOnRevocation(signal, claims, TOKEN_FAILURE_TEXT.revoked),
  );
  return claims.address;
}

/** 403 when the request names, in any address field, a party other than the authenticated one. */
function requireOwnAddresses(ctx: Context, identity: string): void {
  for (const name of ADDRESS_FIELDS) {
    const named = readField(ctx, name);
    if (named !== undefined && named.toLowerCase() !== identity) {
      throw new Forbidden('Authenticated address does not match the requested address');
    }
  }
}

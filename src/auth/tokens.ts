import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Core } from '../kernel/core';
import { Unauthenticated } from '../kernel/errors';

export interface TokenClaims {
  /** Lower-cased 0x address the token acts for. */
  address: string;
  jti: string;
  /** Expiry, unix seconds. */
  exp: number;
}

export type TokenFailure = 'invalid' | 'expired' | 'revoked';

/**
 * Auth tokens: HS256 JWTs (sub = address, exp, jti, iat) from the secret every instance shares.
 * Revocation is a Redis key per jti that expires together with the token, and a wake-up on that key that ends the
 * long-polls the token holds on every instance.
 */
export class TokenService {
  /** Imported once: jose would otherwise import raw key bytes again on every sign and verify. */
  private readonly secret: KeyObject;

  constructor(private readonly core: Core) {
    if (!core.config.authSecret) throw new Error('BOURSE_AUTH_SECRET is required to issue or check auth tokens');
    this.secret = createSecretKey(Buffer.from(core.config.authSecret, 'utf8'));
  }

  async issue(address: string, expiresAt: number): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(address.toLowerCase())
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.secret);
  }

  /** The token's claims, or why it cannot be used. */
  async verify(token: string): Promise<TokenClaims | TokenFailure> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'] }));
    } catch (err) {
      return err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
    }
    const { sub, jti, exp } = payload;
    if (typeof sub !== 'string' || !/^0x[0-9a-f]{40}$/.test(sub) || typeof jti !== 'string' || typeof exp !== 'number')
      return 'invalid';
    if ((await this.core.redis.exists(this.core.keys.revokedToken(jti))) === 1) return 'revoked';
    return { address: sub, jti, exp };
  }

  /** Marks a token revoked until it would have expired anyway. Returns false when it was already revoked. */
  async revoke(claims: TokenClaims): Promise<boolean> {
    const { redis, keys, waiter } = this.core;
    const ttl = Math.max(1, claims.exp - Math.floor(Date.now() / 1000));
    const set = await redis.set(keys.revokedToken(claims.jti), '1', 'EX', ttl, 'NX');
    if (set === 'OK') await waiter.notify(redis, keys.revokedToken(claims.jti));
    return set === 'OK';
  }

  /**
   * Makes the long-polls of a request (those waiting with `signal`) end with 401 once the token is revoked. Nothing
   * touches Redis unless the request long-polls; then the revocation key is subscribed with the poll's own keys and
   * checked once.
   */
  endPollsOnRevocation(signal: AbortSignal, claims: TokenClaims, message: string): void {
    const { redis, keys, waiter } = this.core;
    const key = keys.revokedToken(claims.jti);
    waiter.guardPolls(signal, {
      key,
      fired: async () => (await redis.exists(key)) === 1,
      error: () => new Unauthenticated(message),
    });
  }
}

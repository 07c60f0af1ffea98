import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { getAddress } from 'ethers';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { setBounded } from '../kernel/boundedMap';
import type { Core } from '../kernel/core';
import { Unauthenticated } from '../kernel/errors';
import { AppKeyService, looksLikeAppKey } from './appKeys';
import { revokedTokensOf } from './revocations';

/** Tokens whose signature was checked, by token text (bounded; the oldest leave first). */
const VERIFIED_CACHE_SIZE = 2_000;

export interface TokenClaims {
  /** Lower-cased 0x address the token acts for. */
  address: string;
  jti: string;
  /** Expiry, unix seconds (Infinity for an app key). */
  exp: number;
  /** The app key's name when the bearer is an app key rather than a JWT. */
  appKey?: string;
}

export type TokenFailure = 'invalid' | 'expired' | 'revoked';

const verifiedPerInstance = new WeakMap<Core, Map<string, TokenClaims>>();

function verifiedTokensOf(core: Core): Map<string, TokenClaims> {
  let verified = verifiedPerInstance.get(core);
  if (!verified) {
    verified = new Map();
    verifiedPerInstance.set(core, verified);
  }
  return verified;
}

/**
 * Auth tokens: HS256 JWTs (sub = address, exp, jti, iat) from the secret every instance shares. They also carry
 * ocean-node's `address` claim (checksummed): ocean.js reads the caller's consumerAddress from it.
 * Revocation is a Redis key per jti that expires together with the token, a wake-up on that key that ends the
 * long-polls the token holds on every instance, and every instance's in-memory revoked set (RevokedTokens), so a
 * request's check costs no Redis round trip. A token's signature is checked once; its claims are then remembered.
 * App keys (long-lived, see AppKeyService) are accepted wherever a token is: verify() tells them apart by shape.
 */
export class TokenService {
  /** Imported once: jose would otherwise import raw key bytes again on every sign and verify. */
  private readonly secret: KeyObject;
  readonly appKeys: AppKeyService;
  /** Tokens whose signature was checked, shared by every TokenService of the instance (each route family has one). */
  private readonly verified: Map<string, TokenClaims>;

  constructor(private readonly core: Core) {
    if (!core.config.authSecret) throw new Error('BOURSE_AUTH_SECRET is required to issue or check auth tokens');
    this.secret = createSecretKey(Buffer.from(core.config.authSecret, 'utf8'));
    this.verified = verifiedTokensOf(core);
    this.appKeys = new AppKeyService(core);
  }

  async issue(address: string, expiresAt: number): Promise<string> {
    return new SignJWT({ address: getAddress(address) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(address.toLowerCase())
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.secret);
  }

  /** The token's claims, or why it cannot be used. */
  async verify(token: string): Promise<TokenClaims | TokenFailure> {
    if (looksLikeAppKey(token)) {
      const found = await this.appKeys.lookup(token);
      // A dropped key reads as never issued: nothing remembers it.
      return found
        ? { address: found.address, jti: `appkey:${found.name}`, exp: Infinity, appKey: found.name }
        : 'invalid';
    }
    const claims = this.verified.get(token) ?? (await this.checkSignature(token));
    if (typeof claims === 'string') return claims;
    if (claims.exp * 1000 <= Date.now()) {
      this.verified.delete(token);
      return 'expired';
    }
    if (await revokedTokensOf(this.core).isRevoked(claims.jti)) return 'revoked';
    return claims;
  }

  private async checkSignature(token: string): Promise<TokenClaims | TokenFailure> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'] }));
    } catch (err) {
      return err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
    }
    const { sub, jti, exp } = payload;
    if (typeof sub !== 'string' || !/^0x[0-9a-f]{40}$/.test(sub) || typeof jti !== 'string' || typeof exp !== 'number')
      return 'invalid';
    const claims = { address: sub, jti, exp };
    setBounded(this.verified, token, claims, VERIFIED_CACHE_SIZE);
    return claims;
  }

  /** Marks a token revoked until it would have expired anyway. Returns false when it was already revoked. */
  async revoke(claims: TokenClaims): Promise<boolean> {
    if (claims.appKey !== undefined) {
      try {
        await this.appKeys.drop(claims.address, claims.appKey);
        return true;
      } catch {
        return false; // a concurrent drop won
      }
    }
    return revokedTokensOf(this.core).revoke(claims.jti, claims.exp);
  }

  /**
   * Makes the long-polls of a request (those waiting with `signal`) end with 401 once the token is revoked. Nothing
   * touches Redis unless the request long-polls; then the revocation key is subscribed with the poll's own keys and
   * the revoked set checked once.
   */
  endPollsOnRevocation(signal: AbortSignal, claims: TokenClaims, message: string): void {
    const { keys, waiter } = this.core;
    waiter.guardPolls(signal, {
      key: keys.revokedToken(claims.jti),
      fired: () => revokedTokensOf(this.core).isRevoked(claims.jti),
      error: () => new Unauthenticated(message),
    });
  }
}

import { Invalid, Forbidden } from '../kernel/errors';
import { Authenticator, TOKEN_FAILURE_TEXT } from './authenticator';
import type { SignedFields } from './signedRequest';

/** Lifetime of a token whose request names no expiry (ocean-node's validUntil is optional). */
const DEFAULT_LIFETIME_SECONDS = 24 * 3600;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Issues and revokes auth tokens for signed requests. Everything that can be refused is checked before
 * the nonce is spent, so a refused request changes nothing.
 */
export class TokenIssuer {
  constructor(
    private readonly auth: Authenticator,
    private readonly maxLifetimeSeconds: number,
  ) {}

  /** A requested expiry (unix seconds): 400 unless it is in the future and within the maximum lifetime. */
  expiry(expiresAt: number, name: string): number {
    const now = nowSeconds();
    if (expiresAt <= now) throw new Invalid(`Invalid ${name}: it must be in the future`);
    if (expiresAt > now + this.maxLifetimeSeconds) {
      throw new Invalid(`Invalid ${name}: a token may live at most ${this.maxLifetimeSeconds} seconds`);
    }
    return expiresAt;
  }

  defaultExpiry(): number {
    return nowSeconds() + Math.min(DEFAULT_LIFETIME_SECONDS, this.maxLifetimeSeconds);
  }

  /** A token for the signer of `message`, valid until `expiresAt` (already checked with expiry()). */
  async create(signed: SignedFields, message: string, expiresAt: number): Promise<string> {
    const address = await this.auth.signer(signed, [message]);
    return this.auth.tokens.issue(address, expiresAt);
  }

  /** Revokes `token` for the signer of (one of) `message`: only the address it was issued to may (403 otherwise). */
  async revoke(signed: SignedFields, message: string | string[], token: string): Promise<void> {
    this.auth.checkSignature(signed, [message].flat());
    const claims = await this.auth.tokens.verify(token);
    if (typeof claims === 'string') throw new Invalid(TOKEN_FAILURE_TEXT[claims]);
    if (claims.address !== signed.address.toLowerCase())
      throw new Forbidden('Only the address a token was issued to may revoke it');
    await this.auth.spendNonce(signed);
    // A concurrent revocation of the same token may have won since verify().
    if (!(await this.auth.tokens.revoke(claims))) throw new Invalid(TOKEN_FAILURE_TEXT.revoked);
  }
}

import type { Core } from '../kernel/core';
import { Unauthenticated } from '../kernel/errors';
import type { SignedFields } from './signedRequest';
import { NonceService } from './nonces';
import { isSignedBy } from './signatures';
import { TokenClaims, TokenService } from './tokens';

/** Provider's texts for an unusable token. */
export const TOKEN_FAILURE_TEXT = {
  invalid: 'Token is invalid.',
  expired: 'Token is expired.',
  revoked: 'Token is deleted.',
} as const;

/**
 * Who is calling: the signer of a signed request (signature + fresh nonce) or the holder of an auth token.
 * Failures are 401s whose texts never name the expected or recovered address, nor the signed message.
 */
export class Authenticator {
  readonly tokens: TokenService;
  readonly nonces: NonceService;

  constructor(core: Core) {
    this.tokens = new TokenService(core);
    this.nonces = new NonceService(core);
  }

  /** Throws 401 unless the signature signs one of `messages` (the layouts the route accepts) for the named address. */
  checkSignature(signed: SignedFields, messages: string[]): void {
    if (!messages.some((message) => isSignedBy(message, signed.signature, signed.address))) {
      throw new Unauthenticated('Invalid signature');
    }
  }

  /** Spends the request's nonce: 401 when it is not greater than the last one used (replay or stale). */
  async spendNonce(signed: SignedFields): Promise<void> {
    const { accepted, stored } = await this.nonces.advance(signed.address, signed.nonce);
    if (!accepted) throw new Unauthenticated(`Invalid nonce: it must be greater than the last nonce used (${stored})`);
  }

  /** checkSignature then spendNonce: the caller's lower-case address, for routes with no check in between. */
  async signer(signed: SignedFields, messages: string[]): Promise<string> {
    this.checkSignature(signed, messages);
    await this.spendNonce(signed);
    return signed.address.toLowerCase();
  }

  /** The claims of a usable token; 401 with Provider's texts otherwise. */
  async tokenClaims(token: string): Promise<TokenClaims> {
    const claims = await this.tokens.verify(token);
    if (typeof claims === 'string') throw new Unauthenticated(TOKEN_FAILURE_TEXT[claims]);
    return claims;
  }
}

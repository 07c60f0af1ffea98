import type { Core } from '../kernel/core';

/**
 * Per-address nonces: each signed request carries one strictly greater than the last accepted, so a
 * signature works once. Checked and stored in one Lua script, so two instances racing on the same nonce
 * cannot both accept it. Keys are lower-cased by Keys.nonce, so address case does not matter.
 */
export class NonceService {
  constructor(private readonly core: Core) {}

  /** The last accepted nonce, 0 for an address that never signed a request. */
  async current(address: string): Promise<number> {
    return Number((await this.core.redis.get(this.core.keys.nonce(address))) ?? 0);
  }

  /** Stores `nonce` if it is greater than the stored one; otherwise leaves it and reports the stored nonce. */
  async advance(address: string, nonce: string): Promise<{ accepted: boolean; stored: number }> {
    const [accepted, stored] = await this.core.scripts.run<[number, string]>(
      'nonce_advance',
      [this.core.keys.nonce(address)],
      [nonce],
    );
    return { accepted: accepted === 1, stored: Number(stored) };
  }
}

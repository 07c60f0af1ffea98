import path from 'node:path';
import type { Core } from '../kernel/core';
import { defineScript, outcome } from '../store/scripts';

const advanceScript = defineScript({
  name: 'nonce.advance',
  file: path.join(__dirname, 'lua', 'nonce_advance.lua'),
  keys: ['nonce'],
  args: ['candidate'],
  parse: (reply) => {
    const { code, values } = outcome(reply);
    return { accepted: code === 'ok', stored: Number(values[0]) };
  },
});

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
    return this.core.scripts.call(advanceScript, { nonce: this.core.keys.nonce(address) }, { candidate: nonce });
  }
}

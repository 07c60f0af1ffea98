import { Wallet } from 'ethers';
import { TokenService } from '../../src/auth/tokens';
import type { TestInstance } from './instance';

export interface Party {
  wallet: Wallet;
  /** Lower-case 0x address (the node id on the Market API). */
  address: string;
  /** An auth token for this party, valid for an hour. */
  token: string;
}

/** A fresh Ethereum identity with a token minted by the instance's own token service. */
export async function newParty(t: TestInstance): Promise<Party> {
  const wallet = Wallet.createRandom();
  const address = wallet.address.toLowerCase();
  const tokens = new TokenService(t.instance.core);
  const token = await tokens.issue(address, Math.floor(Date.now() / 1000) + 3600);
  return { wallet: wallet as unknown as Wallet, address, token };
}

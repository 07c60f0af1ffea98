import { Wallet } from 'ethers';
import { MessageSigner, signOceanMessage } from '../../src/auth/signatures';
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

/** Any ethers wallet (Wallet or the HDNodeWallet of Wallet.createRandom()). */
export type SigningWallet = MessageSigner & { address: string };

/**
 * The signed fields of a request by `wallet`: it signs address + nonce + command (ocean-node 3.x; Provider when
 * command is '').
 */
export async function signedQuery(
  wallet: SigningWallet,
  nonce: number | string,
  command = '',
): Promise<{ address: string; nonce: string; signature: string }> {
  const address = wallet.address;
  return { address, nonce: String(nonce), signature: await signOceanMessage(wallet, address + nonce + command) };
}

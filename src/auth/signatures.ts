import { getBytes, keccak256, toUtf8Bytes, verifyMessage } from 'ethers';

/**
 * Ocean's signing primitive (reference/ocean-compute.md §2.1): the signer applies EIP-191 personal_sign
 * to the 32 bytes of keccak256(utf8(message)). Wallets that cannot sign raw bytes sign the 66-character
 * hex text of that hash instead; ocean-node accepts both, and so do we.
 */
export function messageHash(message: string): string {
  return keccak256(toUtf8Bytes(message));
}

/**
 * 65 bytes r ‖ s ‖ v with v one of 27, 28 (or 0, 1 as some signers write it). ethers would also read EIP-155
 * style v values (≥ 35) as the same parity, which makes many different strings one signature; refuse them.
 */
const SIGNATURE = /^0x[0-9a-fA-F]{128}(00|01|1b|1c|1B|1C)$/;

/**
 * Whether `signature` was made by `address` over `message` (either form). Never throws: anything malformed is simply
 * "no".
 */
export function isSignedBy(message: string, signature: string, address: string): boolean {
  if (!SIGNATURE.test(signature)) return false;
  const hash = messageHash(message);
  const expected = address.toLowerCase();
  return recover(getBytes(hash), signature) === expected || recover(hash, signature) === expected;
}

function recover(signed: Uint8Array | string, signature: string): string | undefined {
  try {
    return verifyMessage(signed, signature).toLowerCase();
  } catch {
    return undefined;
  }
}

/** Anything that can personal_sign (an ethers Wallet or Signer). */
export interface MessageSigner {
  signMessage(message: Uint8Array | string): Promise<string>;
}

/** The client side of the primitive: what a wallet sends as `signature` for `message`. */
export function signOceanMessage(signer: MessageSigner, message: string): Promise<string> {
  return signer.signMessage(getBytes(messageHash(message)));
}

import { getBytes, keccak256, toBeArray, toUtf8Bytes, verifyMessage } from 'ethers';

/**
 * Ocean's signing primitive: the signer applies EIP-191 personal_sign to the bytes of keccak256(utf8(message)).
 * Exactly three encodings of that one hash are accepted, the ones ocean-node's verifier or Provider accept:
 * - the full 32 bytes (Provider, ocean.py, Bourse's own clients);
 * - the hash as a minimal big-endian integer (`toBeArray`): ocean.js signs this, so a hash with a leading zero
 *   byte is signed as 31 bytes (about 1 request in 256);
 * - the 66-character hex text of the hash, which ocean-node verifies first (wallets that cannot sign raw bytes).
 * All three commit to the same hash, so none binds less than another; anything else is refused.
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
 * Whether `signature` was made by `address` over `message` (in an accepted form). Never throws: anything malformed is
 * simply "no".
 */
export function isSignedBy(message: string, signature: string, address: string): boolean {
  if (!SIGNATURE.test(signature)) return false;
  const hash = messageHash(message);
  const expected = address.toLowerCase();
  return signedForms(hash).some((form) => recover(form, signature) === expected);
}

/**
 * The encodings of `hash` a signer may have signed, the likeliest first: the minimal bytes only differ from the full
 * 32 when the hash starts with 0x00, and then ocean.js (the common client) signed them.
 */
function signedForms(hash: string): Array<Uint8Array | string> {
  const full = getBytes(hash);
  return full[0] === 0 ? [toBeArray(hash), full, hash] : [full, hash];
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

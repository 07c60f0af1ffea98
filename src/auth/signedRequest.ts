import { Invalid } from '../kernel/errors';

/**
 * The fields of a signed request (address, nonce, signature) and their validation, whatever carried them. Every
 * parser throws an `Invalid` that names the field and says what is expected, without echoing what was sent.
 */

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Validates an Ethereum address and returns it exactly as sent (signed messages use it verbatim). */
export function parseAddress(value: string, name: string): string {
  if (!ADDRESS.test(value)) throw new Invalid(`Invalid ${name}: expected 0x followed by 40 hexadecimal digits`);
  return value;
}

/**
 * A whole number in canonical decimal (no sign, fraction, exponent or leading zero), at most 2^53 - 1 so that
 * every JSON client reads it back exactly. `hint` ends the error text with an example.
 */
export function parseWholeNumber(value: string, name: string, hint = ''): number {
  if (!/^(0|[1-9]\d{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new Invalid(
      `Invalid ${name}: expected a whole number between 0 and ${Number.MAX_SAFE_INTEGER} without leading zeros${hint}`,
    );
  }
  return Number(value);
}

/**
 * Nonces are canonical whole numbers, so the text that was signed and the number that is compared can never
 * disagree (`1.0`, `01` and `1e3` are refused rather than read as something else). Returned as the signed text.
 */
export function parseNonce(value: string): string {
  parseWholeNumber(value, 'nonce', ', such as Date.now()');
  return value;
}

/** Address, nonce and signature of a signed request, as sent. */
export interface SignedFields {
  address: string;
  nonce: string;
  signature: string;
}

/** ocean-node 3.x message layout, one for every signed command: address + nonce + command name. */
export function commandMessage(signed: SignedFields, command: string): string {
  return signed.address + signed.nonce + command;
}

import type { Context } from 'koa';
import { Invalid } from '../kernel/errors';

/**
 * Reading the identity fields of a request. Ocean clients put them in the query string (GET, PUT, DELETE)
 * or in the JSON body (POST); the query wins when both carry a field. Every parser throws a 400 that names
 * the field and says what is expected, without echoing what was sent.
 */

/** A request field as text, or undefined when absent. Numbers in a JSON body are read as their decimal text. */
export function readField(ctx: Context, name: string): string | undefined {
  const fromQuery = ctx.query[name];
  if (Array.isArray(fromQuery)) throw new Invalid(`Invalid ${name}: give it once`);
  if (fromQuery !== undefined && fromQuery !== '') return fromQuery;
  const body: unknown = ctx.request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const value = (body as Record<string, unknown>)[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new Invalid(`Invalid ${name}: expected a string`);
}

export function requireField(ctx: Context, name: string): string {
  const value = readField(ctx, name);
  if (value === undefined) throw new Invalid(`Missing required parameter: ${name}`);
  return value;
}

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

/** The signed fields of a request whose signer is named by `addressField`; 400 when one is missing or malformed. */
export function readSignedFields(ctx: Context, addressField: string): SignedFields {
  const address = parseAddress(requireField(ctx, addressField), addressField);
  const nonce = parseNonce(requireField(ctx, 'nonce'));
  const signature = requireField(ctx, 'signature');
  return { address, nonce, signature };
}

/** ocean-node 3.x message layout, one for every signed command: address + nonce + command name. */
export function commandMessage(signed: SignedFields, command: string): string {
  return signed.address + signed.nonce + command;
}

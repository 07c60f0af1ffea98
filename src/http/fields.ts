import type { Context } from 'koa';
import { Invalid } from '../kernel/errors';
import { parseAddress, parseNonce, type SignedFields } from '../auth/signedRequest';

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

/** The signed fields of a request whose signer is named by `addressField`; 400 when one is missing or malformed. */
export function readSignedFields(ctx: Context, addressField: string): SignedFields {
  const address = parseAddress(requireField(ctx, addressField), addressField);
  const nonce = parseNonce(requireField(ctx, 'nonce'));
  const signature = requireField(ctx, 'signature');
  return { address, nonce, signature };
}

import bodyParser from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { Invalid, TooLarge } from '../../kernel/errors';

/**
 * Deepest JSON nesting a request body may have. Everything downstream (validation, flattening, typing, stringify)
 * recurses over bodies, so a deeper one would overflow the stack; real clients send a handful of levels.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` (valid JSON) nests arrays and objects deeper than `limit`. One pass over the text without
 * recursion, so its own cost is linear and its stack use constant whatever the depth.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * A body that failed half-read (a bad Content-Encoding, a limit) would leave its unread rest on a keep-alive
 * connection, where the next request would wait behind it: discard the rest and close the connection after the answer.
 */
function abandonConnection(ctx: Context): void {
  if (ctx.req.complete) return;
  ctx.set('Connection', 'close');
  ctx.req.resume();
}

/**
 * JSON bodies only (application/json and *+json), any JSON value (yagna accepts a bare `null` reason).
 * Oversized → 413, malformed or nested deeper than MAX_JSON_DEPTH → 400 with a message, before any route runs.
 * A request without a JSON content type leaves `ctx.request.body` as {} and `rawBody` undefined; routes that need a
 * body check for that.
 */
export function jsonBody(limitBytes: number): Middleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    extendTypes: { json: ['application/json', '+json'] },
    jsonLimit: limitBytes,
    jsonStrict: false,
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    onError: (err: Error & { status?: number; type?: string }, ctx: Context) => {
      abandonConnection(ctx);
      if (err.status === 413 || err.type === 'entity.too.large') {
        throw new TooLarge(`Request body is larger than the limit of ${limitBytes} bytes`);
      }
      throw new Invalid(`Json deserialize error: ${err.message}`);
    },
  }) as unknown as Middleware;
  return (ctx, next) =>
    parse(ctx, () => {
      const raw = ctx.request.rawBody;
      if (typeof raw === 'string' && jsonDepthExceeds(raw, MAX_JSON_DEPTH)) {
        throw new Invalid(`Json deserialize error: nested deeper than the limit of ${MAX_JSON_DEPTH} levels`);
      }
      return next();
    });
}

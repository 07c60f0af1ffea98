import bodyParser from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { Invalid, TooLarge } from '../../kernel/errors';

/**
 * JSON bodies only (application/json and *+json), any JSON value (yagna accepts a bare `null` reason).
 * Oversized → 413, malformed → 400 with the parser's message. A request without a JSON content type
 * leaves `ctx.request.body` as {} and `rawBody` undefined; routes that need a body check for that.
 */
export function jsonBody(limitBytes: number): Middleware {
  return bodyParser({
    enableTypes: ['json'],
    extendTypes: { json: ['application/json', '+json'] },
    jsonLimit: limitBytes,
    jsonStrict: false,
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    onError: (err: Error & { status?: number; type?: string }) => {
      if (err.status === 413 || err.type === 'entity.too.large') {
        throw new TooLarge(`Request body is larger than the limit of ${limitBytes} bytes`);
      }
      throw new Invalid(`Json deserialize error: ${err.message}`);
    },
  }) as unknown as Middleware;
}

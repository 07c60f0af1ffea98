import { randomFillSync } from 'node:crypto';

/**
 * Random hex from the system CSPRNG, drawn from a pooled buffer: `randomBytes` on every id costs a call into the
 * kernel per request (about 30 µs each under load, several per handshake); the pool pays it once per 4 KiB, as
 * Node's own `randomUUID` does. Bytes are never handed out twice.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return randomFillSync(Buffer.alloc(bytes)).toString('hex');
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

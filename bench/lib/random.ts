import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the system's generator at a time: one native call per 128 tokens. */
const poolSize = 4096;
const pool = Buffer.allocUnsafe(poolSize);
let offset = poolSize;

/**
 * A random token, 32 bytes as base64url, sliced from a pool that one
 * `randomFillSync` refills 4 KiB at a time, as Kraikub's `nodeCrypto` draws
 * its random bytes: every byte is handed out once. A `randomBytes(32)` per
 * token costs a native call each (several µs a request on this machine), work
 * no provider that pools does; the floor and the ladder pool too.
 */
export function pooledToken(): string {
  if (offset + 32 > poolSize) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + 32);
  offset += 32;
  return token;
}

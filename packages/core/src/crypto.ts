import type { CryptoPort } from './ports.ts';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The alphabet as character codes. */
const alphabetCodes = Array.from(alphabet, (char) => char.charCodeAt(0));
/** Characters per `String.fromCharCode` call: far below any engine's argument limit. */
const chunkSize = 8192;

/**
 * Encodes bytes as base64url without padding.
 *
 * Builds character codes and makes the string in one call: a flat string,
 * cheaper to build and to hash (every token and secret hash becomes a store
 * key) than one grown by concatenation.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function base64url(bytes: Uint8Array): string {
  const length = bytes.length;
  const codes = new Array<number>(Math.ceil((length * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    codes[o++] = alphabetCodes[n >> 18] as number;
    codes[o++] = alphabetCodes[(n >> 12) & 63] as number;
    codes[o++] = alphabetCodes[(n >> 6) & 63] as number;
    codes[o++] = alphabetCodes[n & 63] as number;
  }
  const rest = length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    codes[o++] = alphabetCodes[n >> 18] as number;
    codes[o++] = alphabetCodes[(n >> 12) & 63] as number;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    codes[o++] = alphabetCodes[n >> 18] as number;
    codes[o++] = alphabetCodes[(n >> 12) & 63] as number;
    codes[o++] = alphabetCodes[(n >> 6) & 63] as number;
  }
  if (codes.length <= chunkSize) return String.fromCharCode.apply(null, codes);
  let out = '';
  for (let from = 0; from < codes.length; from += chunkSize) {
    out += String.fromCharCode.apply(null, codes.slice(from, from + chunkSize));
  }
  return out;
}

const encoder = new TextEncoder();

/** Bytes drawn from the CSPRNG per refill of a pool. */
const poolSize = 4096;

/**
 * A source of random bytes drawn from a CSPRNG in 4 KiB blocks (one `fill`
 * call per block, not per token), each byte handed out once, as a copy.
 * Requests larger than a block are filled directly. `fill` must fill the
 * whole array it is given from a cryptographically secure generator; it is
 * given at most 65 536 bytes at a time (Web Crypto's limit).
 *
 * @example
 * ```ts
 * import { randomFillSync } from 'node:crypto';
 * import { pooledRandomBytes } from '@kraikub/core';
 * const randomBytes = pooledRandomBytes((bytes) => randomFillSync(bytes));
 * const secret = randomBytes(32);
 * ```
 */
export function pooledRandomBytes(fill: (bytes: Uint8Array) => void): (length: number) => Uint8Array {
  const pool = new Uint8Array(poolSize);
  let used = poolSize;
  return (length) => {
    if (length > poolSize) {
      const bytes = new Uint8Array(length);
      for (let from = 0; from < length; from += 65_536) {
        fill(bytes.subarray(from, Math.min(length, from + 65_536)));
      }
      return bytes;
    }
    if (used + length > poolSize) {
      fill(pool);
      used = 0;
    }
    const bytes = pool.slice(used, used + length);
    used += length;
    return bytes;
  };
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * The default {@link CryptoPort}: Web Crypto (`crypto.getRandomValues`,
 * `crypto.subtle.digest`), present in Node 20+, Deno, Bun and workers.
 *
 * @example
 * ```ts
 * import {
 *   type AuthorizationServerConfigInput,
 *   type ClientStore,
 *   createAuthorizationServer,
 *   type GrantStore,
 *   webCrypto,
 * } from '@kraikub/core';
 * declare const config: AuthorizationServerConfigInput;
 * declare const clients: ClientStore;
 * declare const store: GrantStore;
 * const server = createAuthorizationServer({ config, clients, store, crypto: webCrypto });
 * ```
 */
export const webCrypto: CryptoPort = {
  randomBytes: pooledRandomBytes((bytes) => {
    globalThis.crypto.getRandomValues(bytes);
  }),
  async sha256(input) {
    return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(input)));
  },
  timingSafeEqual: constantTimeEqual,
};

/**
 * SHA-256 of `input` as base64url: how secrets and tokens are stored.
 *
 * @example
 * ```ts
 * import { sha256Base64url, webCrypto } from '@kraikub/core';
 * const secretHash = await sha256Base64url(webCrypto, 'my client secret');
 * ```
 */
export function sha256Base64url(crypto: CryptoPort, input: string): Promise<string> {
  // No async wrapper: on the token endpoint this runs for every token, and each wrapper is a promise more.
  if (crypto.sha256Base64url !== undefined) return crypto.sha256Base64url(input);
  return crypto.sha256(input).then(base64url);
}

/** Alphabet index of each ASCII code, -1 outside the base64url alphabet. */
const decodeTable = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) decodeTable[alphabet.charCodeAt(i)] = i;

/** Decodes base64url (padding tolerated) to bytes, or `undefined` if malformed. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d /* = */) end--;
  if (end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? (decodeTable[code] as number) : -1;
    if (sextet < 0) return undefined;
    value = ((value << 6) | sextet) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

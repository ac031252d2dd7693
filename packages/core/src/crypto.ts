import type { Clock, Crypto } from './ports.ts';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Encodes bytes as base64url without padding.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      alphabet.charAt(n >> 18) +
      alphabet.charAt((n >> 12) & 63) +
      alphabet.charAt((n >> 6) & 63) +
      alphabet.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += alphabet.charAt(n >> 18) + alphabet.charAt((n >> 12) & 63);
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += alphabet.charAt(n >> 18) + alphabet.charAt((n >> 12) & 63) + alphabet.charAt((n >> 6) & 63);
  }
  return out;
}

const encoder = new TextEncoder();

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * The default {@link Crypto}: Web Crypto (`crypto.getRandomValues`,
 * `crypto.subtle.digest`), present in Node 20+, Deno, Bun and workers.
 *
 * @example
 * ```ts
 * const server = createAuthorizationServer({ config, clients, store, crypto: webCrypto });
 * ```
 */
export const webCrypto: Crypto = {
  randomBytes(length) {
    const bytes = new Uint8Array(length);
    globalThis.crypto.getRandomValues(bytes);
    return bytes;
  },
  async sha256(input) {
    return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(input)));
  },
  timingSafeEqual: constantTimeEqual,
};

/** The default {@link Clock}: `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * SHA-256 of `input` as base64url: how secrets and tokens are stored.
 *
 * @example
 * ```ts
 * const secretHash = await hashSecret(webCrypto, 'my client secret');
 * ```
 */
export async function hashSecret(crypto: Crypto, input: string): Promise<string> {
  return base64url(await crypto.sha256(input));
}

/** Decodes base64url (padding tolerated) to bytes, or `undefined` if malformed. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const clean = text.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(clean) || clean.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of clean) {
    value = (value << 6) | alphabet.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

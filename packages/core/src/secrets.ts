import { base64url, sha256Base64url } from './crypto.ts';
import type { CryptoPort } from './ports.ts';

/** A client secret to show once, and the hash to store. */
export interface GeneratedSecret {
  /** Show this to the client's developer once; never store it. */
  readonly secret: string;
  /** Store this in {@link ClientRecord.secretHash}. */
  readonly secretHash: string;
}

/**
 * Generates a client secret: 256 bits from the CSPRNG, base64url, with a
 * `kbs_` prefix for secret scanners.
 *
 * @example
 * ```ts
 * import { generateClientSecret, webCrypto } from '@kraikub/core';
 * const { secret, secretHash } = await generateClientSecret(webCrypto);
 * ```
 */
export async function generateClientSecret(crypto: CryptoPort): Promise<GeneratedSecret> {
  const secret = `kbs_${base64url(crypto.randomBytes(32))}`;
  return { secret, secretHash: await sha256Base64url(crypto, secret) };
}

import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { isSigningAlgorithm, signingAlgorithms } from './lib/algorithms.ts';
import type { SigningAlgorithm, SigningJwk } from './types.ts';

/**
 * Generates a private signing key, ready for a private JWKS: the JWK with
 * `kid` (the given one, else its RFC 7638 thumbprint), `alg` and
 * `use: 'sig'`. RSA keys have a 2048-bit modulus; `EdDSA` keys are Ed25519.
 * The `kraikub-jose-keygen` command prints one as a JWKS.
 *
 * @example
 * ```ts
 * import { generateSigningKey } from '@kraikub/jose';
 *
 * const next = await generateSigningKey('ES256', '2026-07');
 * // Store { keys: [next] } in the secret manager; never commit it.
 * const jwks = JSON.stringify({ keys: [next] });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 * @see https://www.rfc-editor.org/rfc/rfc7638
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'ES256', kid?: string): Promise<SigningJwk> {
  if (!isSigningAlgorithm(alg)) {
    throw new TypeError(
      `@kraikub/jose: generateSigningKey: unsupported alg ${JSON.stringify(alg)} (one of ${signingAlgorithms.join(', ')})`,
    );
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) {
    throw new TypeError('@kraikub/jose: generateSigningKey: kid must be a non-empty string');
  }
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return {
    ...jwk,
    kty: jwk.kty as string,
    kid: kid ?? (await calculateJwkThumbprint(jwk, 'sha256')),
    alg,
    use: 'sig',
  };
}

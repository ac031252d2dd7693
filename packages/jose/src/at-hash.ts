import { base64url } from 'jose';
import { isSigningAlgorithm, specOf } from './lib/algorithms.ts';

const visibleAscii = /^[\x20-\x7e]+$/;

/**
 * The `at_hash` of an access token for a token signed with `alg`: the
 * left-most half of the hash of the token's ASCII octets, base64url-encoded.
 * The hash is the one of `alg`: SHA-256 for `ES256`, `RS256`, `PS256`;
 * SHA-384 for the `*384` algorithms; SHA-512 for the `*512` ones and for
 * `EdDSA` / `Ed25519`. The same computation gives `c_hash` for a code.
 *
 * {@link createJoseSigner}'s `sign` adds it when given `accessToken`; this
 * is for clients checking one, and for tests.
 *
 * @throws TypeError when `alg` is not a {@link SigningAlgorithm} or the
 * token is empty or not visible ASCII.
 * @example
 * ```ts
 * import { atHash } from '@kraikub/jose';
 *
 * declare const idTokenClaims: { at_hash?: string };
 * declare const accessToken: string;
 * const matches = idTokenClaims.at_hash === (await atHash(accessToken, 'ES256'));
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeIDToken (section 3.1.3.6, `at_hash`)
 */
export async function atHash(accessToken: string, alg: string): Promise<string> {
  if (!isSigningAlgorithm(alg)) throw new TypeError(`@kraikub/jose: at_hash: unsupported alg ${String(alg)}`);
  if (typeof accessToken !== 'string' || !visibleAscii.test(accessToken)) {
    throw new TypeError('@kraikub/jose: at_hash: the access token must be a non-empty ASCII string');
  }
  const digest = new Uint8Array(
    await crypto.subtle.digest(specOf(alg).hash, new TextEncoder().encode(accessToken)),
  );
  return base64url.encode(digest.subarray(0, digest.length / 2));
}

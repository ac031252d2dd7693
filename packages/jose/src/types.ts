/**
 * A JSON Web Key as the host supplies it: the public members and, for a key
 * that signs, the private ones (`d`, and `p`, `q`, `dp`, `dq`, `qi` for RSA).
 * Other members are allowed and ignored; none of them is ever published.
 *
 * @example
 * ```ts
 * import type { Jwk } from '@kraikub/jose';
 *
 * declare const d: string; // from the host's secret store
 * const key: Jwk = {
 *   kty: 'EC',
 *   crv: 'P-256',
 *   x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
 *   y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
 *   d,
 *   kid: '2026-01',
 *   alg: 'ES256',
 *   use: 'sig',
 * };
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 */
export interface Jwk {
  /** Key type: `EC`, `RSA` or `OKP` (`oct`, a shared secret, is refused). */
  readonly kty: string;
  /** Key ID; the RFC 7638 thumbprint when missing. */
  readonly kid?: string;
  /** The JWS algorithm; inferred from `kty` and `crv` when missing. */
  readonly alg?: string;
  /** Must be `sig` when present. */
  readonly use?: string;
  readonly key_ops?: readonly string[];
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
  readonly d?: string;
  readonly p?: string;
  readonly q?: string;
  readonly dp?: string;
  readonly dq?: string;
  readonly qi?: string;
  readonly [member: string]: unknown;
}

/**
 * A JSON Web Key Set holding private keys: what the host gives
 * {@link createJoseSigner}. Keep it out of version control; load it from a
 * file, an environment variable or a secret manager.
 *
 * @example
 * ```ts
 * import { type PrivateJwks, parsePrivateJwks } from '@kraikub/jose';
 *
 * const jwks: PrivateJwks = parsePrivateJwks(process.env.KRAIKUB_JWKS ?? '', { source: 'KRAIKUB_JWKS' });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export interface PrivateJwks {
  readonly keys: readonly Jwk[];
}

/**
 * The asymmetric JWS algorithms the signer accepts. `ES256` is the default;
 * `Ed25519` is the fully-specified name of `EdDSA` over Ed25519 (RFC 9864).
 *
 * @example
 * ```ts
 * import { generateSigningKey, type SigningAlgorithm } from '@kraikub/jose';
 *
 * const alg: SigningAlgorithm = 'RS256';
 * const key = await generateSigningKey(alg);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
export type SigningAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'EdDSA'
  | 'Ed25519';

/**
 * A private signing key as {@link generateSigningKey} returns it: always
 * with `kid`, `alg` and `use: 'sig'`.
 *
 * @example
 * ```ts
 * import { generateSigningKey, type SigningJwk } from '@kraikub/jose';
 *
 * const key: SigningJwk = await generateSigningKey('EdDSA', '2026-01');
 * console.log(key.kid, key.alg, key.use); // 2026-01 EdDSA sig
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4
 */
export interface SigningJwk extends Jwk {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly use: 'sig';
}

import type { SigningAlgorithm } from '../types.ts';

/** What each accepted algorithm needs of a key, and the hash `at_hash` uses with it. */
interface AlgorithmSpec {
  readonly kty: 'EC' | 'RSA' | 'OKP';
  readonly crv?: string;
  readonly hash: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

/**
 * The hash of EdDSA over Ed25519 is SHA-512 (RFC 8032), which is what
 * OpenID Connect implementations use for its `at_hash`.
 */
const algorithms: Readonly<Record<SigningAlgorithm, AlgorithmSpec>> = {
  ES256: { kty: 'EC', crv: 'P-256', hash: 'SHA-256' },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'SHA-384' },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'SHA-512' },
  RS256: { kty: 'RSA', hash: 'SHA-256' },
  RS384: { kty: 'RSA', hash: 'SHA-384' },
  RS512: { kty: 'RSA', hash: 'SHA-512' },
  PS256: { kty: 'RSA', hash: 'SHA-256' },
  PS384: { kty: 'RSA', hash: 'SHA-384' },
  PS512: { kty: 'RSA', hash: 'SHA-512' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: 'SHA-512' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', hash: 'SHA-512' },
};

export const signingAlgorithms = Object.keys(algorithms) as readonly SigningAlgorithm[];

export function isSigningAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(algorithms, alg);
}

export function specOf(alg: SigningAlgorithm): AlgorithmSpec {
  return algorithms[alg];
}

/** The algorithm a key without `alg` signs with, or `undefined` when there is no safe guess. */
export function inferAlgorithm(kty: string, crv: unknown): SigningAlgorithm | undefined {
  if (kty === 'RSA') return 'RS256';
  if (kty === 'EC' && crv === 'P-256') return 'ES256';
  if (kty === 'EC' && crv === 'P-384') return 'ES384';
  if (kty === 'EC' && crv === 'P-521') return 'ES512';
  if (kty === 'OKP' && crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/** `HS256`, `A128KW`... : algorithms built on a shared secret, which a published key set cannot hold. */
export function isSymmetricAlgorithm(alg: string): boolean {
  return /^(?:HS\d+|A\d+(?:KW|GCMKW|GCM|CBC-HS\d+)|dir)$/.test(alg);
}

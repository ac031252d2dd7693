import { createHash } from 'node:crypto';
import { generateSigningKey, type SigningAlgorithm, type SigningJwk } from '@kraikub/jose';

/** The algorithms the tests run for, with the node:crypto hash `at_hash` must use for each. */
export const algorithms: readonly (readonly [SigningAlgorithm, string])[] = [
  ['ES256', 'sha256'],
  ['ES384', 'sha384'],
  ['ES512', 'sha512'],
  ['RS256', 'sha256'],
  ['RS384', 'sha384'],
  ['RS512', 'sha512'],
  ['PS256', 'sha256'],
  ['PS384', 'sha384'],
  ['PS512', 'sha512'],
  ['EdDSA', 'sha512'],
  ['Ed25519', 'sha512'],
];

/** at_hash computed independently of the library: node:crypto, not Web Crypto. */
export function expectedAtHash(accessToken: string, hash: string): string {
  const digest = createHash(hash).update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** The members of a JWT's protected header and payload, decoded without verifying. */
export function decode(jws: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header = '', payload = ''] = jws.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
  };
}

export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Key generation is slow for RSA: one key per (alg, kid), shared by the tests of a file. */
const cache = new Map<string, Promise<SigningJwk>>();
export function key(alg: SigningAlgorithm, kid: string): Promise<SigningJwk> {
  const id = `${alg}/${kid}`;
  let found = cache.get(id);
  if (found === undefined) {
    found = generateSigningKey(alg, kid);
    cache.set(id, found);
  }
  return found;
}

/** A JWK's public part only, as a host lists a key it publishes but does not sign with. */
export function publicOnly(jwk: SigningJwk): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

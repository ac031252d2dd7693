/**
 * `@kraikub/jose`: core's `SignerPort` on `jose`. Signs ID Tokens and JWT
 * access tokens with the host's private JWKS, publishes the public keys,
 * and rotates keys without downtime. Web Crypto only: Node, Bun, Deno and
 * Cloudflare Workers.
 *
 * @packageDocumentation
 */
export type { JwtAccessTokenVerifierOptions } from './access-token-verifier.ts';
export { createJwtAccessTokenVerifier } from './access-token-verifier.ts';
export { atHash } from './at-hash.ts';
export { generateSigningKey } from './generate.ts';
export type { ParsePrivateJwksOptions } from './parse.ts';
export { parsePrivateJwks } from './parse.ts';
export type { JoseSigner, JoseSignerOptions } from './signer.ts';
export { createJoseSigner } from './signer.ts';
export type { Jwk, PrivateJwks, SigningAlgorithm, SigningJwk } from './types.ts';

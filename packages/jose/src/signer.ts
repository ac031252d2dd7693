import type { PublicJwks, SignerPort, SignOptions } from '@kraikub/core';
import { compactVerify, createLocalJWKSet, type JWK, SignJWT } from 'jose';
import { atHash } from './at-hash.ts';
import { checkKeySet } from './lib/key-set.ts';
import type { PrivateJwks } from './types.ts';

/**
 * Options of {@link createJoseSigner}.
 *
 * @example
 * ```ts
 * import { type JoseSignerOptions, parsePrivateJwks } from '@kraikub/jose';
 *
 * const options: JoseSignerOptions = {
 *   keys: parsePrivateJwks(process.env.KRAIKUB_JWKS ?? '', { source: 'KRAIKUB_JWKS' }),
 *   active: '2026-01', // optional: the first key signs when omitted
 * };
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export interface JoseSignerOptions {
  /**
   * The host's private JWKS. Every key is published; the active one also
   * signs. Keys without the private part may be listed (published only).
   */
  readonly keys: PrivateJwks;
  /** The `kid` of the key that signs; the first key when omitted. */
  readonly active?: string;
}

/**
 * The signer {@link createJoseSigner} returns: core's `SignerPort`, and the
 * `kid` of the key that signs (worth logging at start-up during a rotation).
 *
 * @example
 * ```ts
 * import type { SignerPort } from '@kraikub/core';
 * import { createJoseSigner, generateSigningKey, type JoseSigner } from '@kraikub/jose';
 *
 * const signer: JoseSigner = await createJoseSigner({ keys: { keys: [await generateSigningKey()] } });
 * const port: SignerPort = signer;
 * console.log(`signing with ${signer.kid} (${port.algorithm})`);
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#Signing
 */
export interface JoseSigner extends SignerPort {
  /** The `kid` of the active key, the one `sign` uses. */
  readonly kid: string;
}

/** `typ` compares case-insensitively, with or without `application/` (RFC 7515 section 4.1.9). */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Creates core's `SignerPort` on `jose` over the host's private JWKS.
 * One key signs (the first, or the one whose `kid` is `active`); every key
 * is published, so a key can be published before it signs and stay
 * published after it stops: rotation without downtime (see the README).
 *
 * Each key needs `kid` (else its RFC 7638 thumbprint is used) and `alg`
 * (else inferred: EC P-256 `ES256`, P-384 `ES384`, P-521 `ES512`, RSA
 * `RS256`, OKP Ed25519 `EdDSA`). Everything is checked here, once: a
 * TypeError names the bad key (symmetric key, unknown algorithm, `use`
 * other than `sig`, RSA under 2048 bits, duplicate `kid`, material that
 * does not import, a private part that does not match its public part, an
 * active key without a private part). Messages never contain key material.
 *
 * - `sign(claims, { typ, accessToken? })`: a compact JWS with the header
 *   `{ alg, kid, typ }`, and `at_hash` when `accessToken` is given.
 * - `publicKeys()`: the public members of every key, with `kid`, `alg` and
 *   `use: 'sig'`: the `jwks_uri` document.
 * - `verify(jws, { typ })`: the claims when a published key's signature
 *   holds and `typ` matches; `undefined` otherwise. It never throws and
 *   does not check `exp` (the caller does).
 *
 * @example
 * ```ts
 * import { createJoseSigner, parsePrivateJwks } from '@kraikub/jose';
 *
 * const signer = await createJoseSigner({
 *   keys: parsePrivateJwks(process.env.KRAIKUB_JWKS ?? '', { source: 'KRAIKUB_JWKS' }),
 * });
 * const idToken = await signer.sign(
 *   { iss: 'https://id.example.com', sub: 'alice', aud: 'app', iat: 1767225600, exp: 1767229200 },
 *   { typ: 'JWT', accessToken: 'an-access-token' },
 * );
 * const jwks = await signer.publicKeys(); // serve at the jwks_uri
 * const claims = await signer.verify(idToken, { typ: 'JWT' }); // e.g. an id_token_hint
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0.html#Signing
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
export async function createJoseSigner(options: JoseSignerOptions): Promise<JoseSigner> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('@kraikub/jose: createJoseSigner needs { keys }');
  }
  const { keys, active } = await checkKeySet(options.keys, options.active);
  const signingKey = active.privateKey as CryptoKey; // checkKeySet refuses an active key without one
  const published: PublicJwks = Object.freeze({ keys: Object.freeze(keys.map((key) => key.publicJwk)) });
  const algorithms = Object.freeze([...new Set([active.alg, ...keys.map((key) => key.alg)])]);
  const keySet = createLocalJWKSet({ keys: keys.map((key) => ({ ...key.publicJwk }) as JWK) });

  async function sign(claims: Readonly<Record<string, unknown>>, signOptions: SignOptions): Promise<string> {
    if (!isPlainObject(claims)) throw new TypeError('@kraikub/jose: sign: claims must be an object');
    const { typ, accessToken } = signOptions;
    if (typeof typ !== 'string' || (typ as string) === '') {
      throw new TypeError('@kraikub/jose: sign: typ is required');
    }
    const payload: Record<string, unknown> = { ...claims };
    if (accessToken !== undefined) payload.at_hash = await atHash(accessToken, active.alg);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: active.alg, kid: active.kid, typ })
      .sign(signingKey);
  }

  async function verify(
    jws: string,
    verifyOptions: { readonly typ: 'JWT' | 'at+jwt' },
  ): Promise<Readonly<Record<string, unknown>> | undefined> {
    try {
      if (typeof jws !== 'string') return undefined;
      const { payload, protectedHeader: header } = await compactVerify(jws, keySet, {
        algorithms: [...algorithms],
      });
      // Our tokens always name their key; an unencoded payload (b64: false) is no JWT.
      if (typeof header.kid !== 'string' || header.b64 === false) return undefined;
      if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== normalizeTyp(verifyOptions.typ)) {
        return undefined;
      }
      const claims: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
      return isPlainObject(claims) ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  return Object.freeze({
    algorithm: active.alg,
    algorithms,
    kid: active.kid,
    sign,
    verify,
    publicKeys: async () => published,
  });
}

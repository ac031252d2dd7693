import type { AccessTokenInfo, AccessTokenVerifier, VerifyAccessTokenOptions } from '@kraikub/core';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose';

/** Options of {@link createJwtAccessTokenVerifier}. */
export interface JwtAccessTokenVerifierOptions {
  /** The authorization server's issuer: tokens must carry exactly this `iss`. */
  readonly issuer: string;
  /**
   * Its keys: the `jwks_uri` (fetched and cached by `jose`, refetched on an
   * unknown `kid`), or a JWKS held in memory (`server.jwks()` in process).
   */
  readonly jwks: URL | JSONWebKeySet;
  /**
   * The resource this verifier serves: a token whose `aud` lacks it is not
   * valid here. Per call, `verify(token, { audience })` overrides it.
   */
  readonly audience?: string;
  /** The JWS algorithms accepted. Default: the asymmetric ones `@kraikub/jose` signs with. */
  readonly algorithms?: readonly string[];
  /** Clock skew tolerated on `exp`, `iat` and `nbf`, in seconds. Default 5. */
  readonly clockToleranceSeconds?: number;
}

const defaultAlgorithms = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
];

/** Errors of the token (bad signature, expired, wrong claim...): the token is invalid, not the verifier. */
function isTokenProblem(error: unknown): boolean {
  return (
    error instanceof errors.JWTClaimValidationFailed ||
    error instanceof errors.JWTExpired ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported
  );
}

function audienceList(aud: JWTPayload['aud']): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((value) => typeof value === 'string') : [];
}

/**
 * Checks RFC 9068 JWT access tokens by signature alone, against the
 * authorization server's JWKS: no store lookup, so a resource server in
 * another process (or another company) needs only the issuer's public keys.
 * It checks the `typ` header (`at+jwt`), the signature, `iss`, `exp` (with
 * a small skew), `aud` (the resource), and the required claims (`sub`,
 * `client_id`, `iat`, `jti`). What it cannot check is revocation: a revoked
 * JWT access token stays valid here until it expires, so keep their
 * lifetime short (`ttl.accessToken`), or use the server's own
 * `verifyAccessToken` (a store lookup) where revocation must count at once.
 *
 * `verify` resolves the token's info, `undefined` for an invalid token, and
 * rejects only when the keys could not be fetched (the resource server then
 * answers 503).
 *
 * @example
 * ```ts
 * import { verifyBearer } from '@kraikub/adapter-http';
 * import { createJwtAccessTokenVerifier } from '@kraikub/jose';
 *
 * const tokens = createJwtAccessTokenVerifier({
 *   issuer: 'https://id.example.com',
 *   jwks: new URL('https://id.example.com/jwks'),
 *   audience: 'https://api.example.com',
 * });
 * async function api(request: Request): Promise<Response> {
 *   const auth = await verifyBearer(tokens, request, { audience: 'https://api.example.com' });
 *   return auth.ok ? Response.json({ sub: auth.token.subject }) : auth.response;
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export function createJwtAccessTokenVerifier(options: JwtAccessTokenVerifierOptions): AccessTokenVerifier {
  if (typeof options?.issuer !== 'string' || options.issuer === '') {
    throw new TypeError('@kraikub/jose: createJwtAccessTokenVerifier needs the issuer');
  }
  const keys =
    options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  const algorithms = [...(options.algorithms ?? defaultAlgorithms)];
  const clockTolerance = options.clockToleranceSeconds ?? 5;

  async function verify(
    token: string,
    verifyOptions: VerifyAccessTokenOptions = {},
  ): Promise<AccessTokenInfo | undefined> {
    if (typeof token !== 'string' || token.length > 8_192) return undefined;
    const audience = verifyOptions.audience ?? options.audience;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        typ: 'at+jwt',
        algorithms,
        clockTolerance,
        requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
        ...(audience === undefined ? {} : { audience }),
      }));
    } catch (error) {
      if (isTokenProblem(error)) return undefined;
      throw error;
    }
    const clientId = payload.client_id;
    const jti = payload.jti as string;
    if (typeof clientId !== 'string' || typeof payload.sub !== 'string') return undefined;
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    return {
      clientId,
      subject: payload.sub,
      scopes: scope.split(' ').filter((value) => value !== ''),
      expiresAt: (payload.exp as number) * 1000,
      grantId: jti.slice(0, Math.max(0, jti.indexOf('.'))),
      audience: audienceList(payload.aud),
    };
  }

  return Object.freeze({ issuer: options.issuer, verify });
}

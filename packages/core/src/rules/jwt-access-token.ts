import type { OidcContext } from '../ports.ts';

/** What an RFC 9068 access token says, before signing. */
export interface JwtAccessTokenInput {
  readonly issuer: string;
  readonly clientId: string;
  /** The resource owner; absent for client credentials (then `sub` is the client). */
  readonly subject: string | undefined;
  /** Its resources: at least one. */
  readonly audience: readonly string[];
  readonly scopes: readonly string[];
  /** Now (ms). */
  readonly now: number;
  /** Expiry (ms). */
  readonly expiresAt: number;
  /** Unique per token: `<grantId>.<random>`, so the grant is known before any lookup. */
  readonly jti: string;
  /** The grant's authentication, when it is an OpenID Connect one. */
  readonly oidc: OidcContext | undefined;
}

/**
 * The claims of a JWT access token: `iss`, `exp`, `aud`, `sub`,
 * `client_id`, `iat`, `jti`, `scope`, and the authentication (`auth_time`,
 * `acr`, `amr`) when the grant has one. No user data.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 */
export function jwtAccessTokenClaims(input: JwtAccessTokenInput): Record<string, unknown> {
  const { oidc } = input;
  return {
    iss: input.issuer,
    sub: input.subject ?? input.clientId,
    aud: input.audience.length === 1 ? input.audience[0] : [...input.audience],
    client_id: input.clientId,
    iat: Math.floor(input.now / 1000),
    exp: Math.floor(input.expiresAt / 1000),
    jti: input.jti,
    scope: input.scopes.join(' '),
    ...(oidc?.authTime === undefined ? {} : { auth_time: Math.floor(oidc.authTime / 1000) }),
    ...(oidc?.acr === undefined ? {} : { acr: oidc.acr }),
    ...(oidc?.amr === undefined ? {} : { amr: oidc.amr }),
  };
}

/** The grant id a JWT access token's `jti` carries (`<grantId>.<random>`), or `undefined`. */
export function grantIdOfJti(jti: unknown): string | undefined {
  if (typeof jti !== 'string') return undefined;
  const dot = jti.indexOf('.');
  return dot > 0 && dot < 64 && jti.length - dot > 8 ? jti.slice(0, dot) : undefined;
}

/** The `aud` claim as a list (a string or an array of strings; anything else is none). */
export function audienceOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : [];
}

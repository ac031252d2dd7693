import type { OidcContext } from '../ports.ts';

/** What an ID Token is made of, besides the released claims. */
export interface IdTokenInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly subject: string;
  /** Now (ms). */
  readonly now: number;
  /** Lifetime (s). */
  readonly ttlSeconds: number;
  readonly oidc: OidcContext;
  /** Whether `nonce` goes in: for the code exchange's ID Token, never a refreshed one (Core 12.2). */
  readonly withNonce: boolean;
  /** Claims the host released for the ID Token (the `claims` request's `id_token` member). */
  readonly released: Readonly<Record<string, unknown>>;
}

/**
 * The claims of an ID Token (pure; the signer adds `at_hash`): `iss`,
 * `sub`, `aud` (the client), `azp` (the client), `exp`, `iat`, `auth_time`
 * when known, `nonce` echoed exactly when the request carried one, `acr`
 * and `amr` when the host gave them, then the released claims (which can
 * never override these).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 */
export function idTokenClaims(input: IdTokenInput): Record<string, unknown> {
  const { oidc } = input;
  const iat = Math.floor(input.now / 1000);
  return {
    ...input.released,
    iss: input.issuer,
    sub: input.subject,
    aud: input.clientId,
    azp: input.clientId,
    exp: iat + input.ttlSeconds,
    iat,
    ...(oidc.authTime === undefined ? {} : { auth_time: Math.floor(oidc.authTime / 1000) }),
    ...(input.withNonce && oidc.nonce !== undefined ? { nonce: oidc.nonce } : {}),
    ...(oidc.acr === undefined ? {} : { acr: oidc.acr }),
    ...(oidc.amr === undefined ? {} : { amr: oidc.amr }),
  };
}

import type { Context } from '../../lib/context.ts';
import { type Outcome, tryPort } from '../../lib/port.ts';
import type { AccessTokenRecord, OidcContext, RefreshTokenRecord, TokenIssue } from '../../ports.ts';
import { type MintedToken, mintToken } from '../../tokens.ts';

/**
 * A successful token response.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  /** Lifetime of the access token in seconds. */
  readonly expires_in: number;
  /** Absent for client credentials. */
  readonly refresh_token?: string;
  /** The access token's scope, space-delimited. */
  readonly scope: string;
  /**
   * The ID Token, for an OpenID Connect grant.
   *
   * @see https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse
   */
  readonly id_token?: string;
}

/** The one response shape every grant returns. */
export function tokenResponse(
  access: string,
  accessExpiresAt: number,
  now: number,
  scopes: readonly string[],
  refresh?: string,
  idToken?: string,
): TokenResponse {
  const expiresIn = Math.max(0, Math.round((accessExpiresAt - now) / 1000));
  const scope = scopes.join(' ');
  // Literals rather than a conditional spread: one hidden class each, no per-call object cloning.
  const response: TokenResponse =
    refresh === undefined
      ? { access_token: access, token_type: 'Bearer', expires_in: expiresIn, scope }
      : { access_token: access, token_type: 'Bearer', expires_in: expiresIn, refresh_token: refresh, scope };
  return idToken === undefined ? response : { ...response, id_token: idToken };
}

/** A grant's OpenID Connect context as its tokens keep it: everything but the nonce (codes only). */
export function tokenOidc(oidc: OidcContext): OidcContext {
  const { nonce: _, ...kept } = oidc;
  return kept;
}

/** What {@link grantTokens} builds the records from. */
export interface GrantTokensBase {
  readonly grantId: string;
  readonly clientId: string;
  /** The resource owner; absent for client credentials (then no refresh token is stored). */
  readonly subject: string | undefined;
  /** The grant's scopes: the refresh token's. */
  readonly grantScopes: readonly string[];
  /** The access token's scopes (narrower than the grant's after a narrowing refresh). */
  readonly accessScopes: readonly string[];
  /** The OpenID Connect context both tokens keep (no nonce), when the grant is an OpenID Connect one. */
  readonly oidc?: OidcContext | undefined;
}

/** The records of the tokens issued together for one grant, and when the access token expires. */
export interface GrantTokens {
  readonly issue: TokenIssue;
  readonly accessExpiresAt: number;
}

/** Builds the records of a fresh access token (and refresh token) for one grant. */
export function grantTokens(
  ctx: Context,
  base: GrantTokensBase,
  access: MintedToken,
  refresh: MintedToken | undefined,
  now: number,
): GrantTokens {
  const { grantId, clientId, subject } = base;
  const accessExpiresAt = now + ctx.config.ttl.accessToken * 1000;
  // Literals of fixed shape rather than conditional spreads (these are built on every token request).
  const accessRecord: AccessTokenRecord =
    subject === undefined
      ? { grantId, clientId, scopes: base.accessScopes, issuedAt: now, expiresAt: accessExpiresAt }
      : { grantId, clientId, scopes: base.accessScopes, issuedAt: now, expiresAt: accessExpiresAt, subject };
  const oidc = base.oidc;
  const accessToken = {
    key: access.key,
    record: oidc === undefined ? accessRecord : { ...accessRecord, oidc },
  };
  if (refresh === undefined || subject === undefined)
    return { accessExpiresAt, issue: { grantId, accessToken } };
  const refreshRecord: RefreshTokenRecord = {
    grantId,
    clientId,
    subject,
    scopes: base.grantScopes,
    issuedAt: now,
    expiresAt: now + ctx.config.ttl.refreshToken * 1000,
  };
  const refreshToken = {
    key: refresh.key,
    record: oidc === undefined ? refreshRecord : { ...refreshRecord, oidc },
  };
  return { accessExpiresAt, issue: { grantId, accessToken, refreshToken } };
}

/** Mints the access token and, when `withRefresh`, the refresh token of one grant. */
export async function mintPair(
  ctx: Context,
  grantId: string,
  withRefresh: boolean,
): Outcome<readonly [MintedToken, MintedToken | undefined]> {
  // One after the other: with a synchronous digest underneath this is two promise
  // hops instead of a race to guard; the first failure wins.
  return tryPort('CryptoPort.sha256', async () => {
    const access = await mintToken(ctx.crypto, 'access_token', grantId);
    const refresh = withRefresh ? await mintToken(ctx.crypto, 'refresh_token', grantId) : undefined;
    return [access, refresh] as const;
  });
}

import { err } from 'neverthrow';
import { base64url, sha256Base64url } from '../../crypto.ts';
import type { Context } from '../../lib/context.ts';
import { type Outcome, tryPort } from '../../lib/port.ts';
import type { AccessTokenRecord, OidcContext, RefreshTokenRecord, TokenIssue } from '../../ports.ts';
import { jwtAccessTokenClaims } from '../../rules/jwt-access-token.ts';
import { wantsJwt } from '../../rules/resource.ts';
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
  /** The access token's audience (RFC 8707): some or all of the grant's resources. */
  readonly audience: readonly string[];
  /** The grant's resources: the refresh token's. */
  readonly resources: readonly string[];
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
  const withOidc = oidc === undefined ? accessRecord : { ...accessRecord, oidc };
  const accessToken = {
    key: access.key,
    record: base.audience.length === 0 ? withOidc : { ...withOidc, audience: base.audience },
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
  const refreshWithOidc = oidc === undefined ? refreshRecord : { ...refreshRecord, oidc };
  const refreshToken = {
    key: refresh.key,
    record: base.resources.length === 0 ? refreshWithOidc : { ...refreshWithOidc, resources: base.resources },
  };
  return { accessExpiresAt, issue: { grantId, accessToken, refreshToken } };
}

/**
 * Mints the access token and, when `withRefresh`, the refresh token of one
 * grant. The access token is opaque, or an RFC 9068 JWT when its audience
 * wants one (see {@link mintAccessToken}).
 */
export async function mintPair(
  ctx: Context,
  base: GrantTokensBase,
  withRefresh: boolean,
  now: number,
): Outcome<readonly [MintedToken, MintedToken | undefined]> {
  const access = await mintAccessToken(ctx, base, now);
  if (access.isErr() || !withRefresh) return access.map((token) => [token, undefined] as const);
  const refresh = await tryPort('CryptoPort.sha256', () =>
    mintToken(ctx.crypto, 'refresh_token', base.grantId),
  );
  return refresh.map((token) => [access.value, token] as const);
}

/**
 * A new access token for `base`: opaque (`kba_...`, the default), or, when
 * every resource of its audience asks for JWTs, an RFC 9068 JWT signed by the
 * server's signer. Either way its record is stored under the SHA-256 of the
 * whole token, so revocation and introspection work alike.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
export async function mintAccessToken(
  ctx: Context,
  base: GrantTokensBase,
  now: number,
): Outcome<MintedToken> {
  const signer = ctx.signer;
  if (signer === undefined || !wantsJwt(base.audience, ctx.config)) {
    return tryPort('CryptoPort.sha256', () => mintToken(ctx.crypto, 'access_token', base.grantId));
  }
  const claims = jwtAccessTokenClaims({
    issuer: ctx.config.issuer,
    clientId: base.clientId,
    subject: base.subject,
    audience: base.audience,
    scopes: base.accessScopes,
    now,
    expiresAt: now + ctx.config.ttl.accessToken * 1000,
    jti: `${base.grantId}.${base64url(ctx.crypto.randomBytes(16))}`,
    oidc: base.oidc,
  });
  const signed = await tryPort('SignerPort.sign', () => signer.sign(claims, { typ: 'at+jwt' }));
  if (signed.isErr()) return err(signed.error);
  const value = signed.value;
  return tryPort('CryptoPort.sha256', async () => ({
    value,
    key: { grantId: base.grantId, hash: await sha256Base64url(ctx.crypto, value) },
  }));
}

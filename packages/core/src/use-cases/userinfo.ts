import { err, ok, type Result } from 'neverthrow';
import type { OAuthError } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { releasedClaims } from '../lib/openid.ts';
import type { AccessTokenInfo } from './revoke-introspect.ts';

/**
 * What the UserInfo endpoint answers for an access token: the claims, or why
 * not. `invalid_token` for a token that is not active, or that is bound to
 * resources (RFC 8707) other than the issuer; `insufficient_scope` for one
 * without `openid` (RFC 6750 section 3.1).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
export type UserInfoResult =
  | { readonly kind: 'claims'; readonly claims: Readonly<Record<string, unknown>> }
  | { readonly kind: 'invalid_token' }
  | { readonly kind: 'insufficient_scope' };

/**
 * The UserInfo response for a verified access token: `sub`, then what the
 * host releases for the granted scopes and the `claims` request's
 * `userinfo` member.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse
 */
export async function userinfo(
  ctx: Context,
  token: AccessTokenInfo | undefined,
): Promise<Result<UserInfoResult, OAuthError>> {
  if (token === undefined || token.subject === undefined) return ok({ kind: 'invalid_token' });
  // A token bound to other resources (RFC 8707) is not for UserInfo: only one bound to none, or to the issuer.
  if (token.audience.length > 0 && !token.audience.includes(ctx.config.issuer)) {
    return ok({ kind: 'invalid_token' });
  }
  if (ctx.signer === undefined || !token.scopes.includes('openid')) return ok({ kind: 'insufficient_scope' });
  const released = await releasedClaims(
    ctx,
    { subject: token.subject, clientId: token.clientId, scopes: token.scopes, oidc: token.oidc },
    'userinfo',
  );
  if (released.isErr()) return err(released.error);
  return ok({ kind: 'claims', claims: { ...released.value, sub: token.subject } });
}

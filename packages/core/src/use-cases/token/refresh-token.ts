import { err, ok } from 'neverthrow';
import { base64url } from '../../crypto.ts';
import { oauthError } from '../../errors.ts';
import { type Context, emit } from '../../lib/context.ts';
import { issueIdToken } from '../../lib/openid.ts';
import { type Outcome, tryPort } from '../../lib/port.ts';
import { type Params, param } from '../../params.ts';
import type { ClientRecord, RefreshRotation, RefreshTokenRecord, TokenKey } from '../../ports.ts';
import { checkRefreshToken, invalidRefresh, reuseDecision } from '../../rules/refresh-token.ts';
import { audienceScopes, narrowResources, wantsJwt } from '../../rules/resource.ts';
import { narrowScopes } from '../../rules/scope.ts';
import { deriveToken, type MintedToken, mintToken, parseToken } from '../../tokens.ts';
import {
  type GrantTokensBase,
  grantTokens,
  mintAccessToken,
  type TokenResponse,
  tokenResponse,
} from './issue.ts';
import { revokeReplayed } from './replay.ts';

/**
 * The successor tokens of a rotation: derived from the old token and a nonce
 * (grace window), or fresh. A JWT access token is always fresh (a signature
 * cannot be derived again).
 */
async function successors(
  ctx: Context,
  base: GrantTokensBase,
  oldToken: string,
  nonce: string | undefined,
  now: number,
): Outcome<readonly [MintedToken, MintedToken]> {
  const { grantId } = base;
  const make = (kind: 'access_token' | 'refresh_token') =>
    nonce === undefined
      ? mintToken(ctx.crypto, kind, grantId)
      : deriveToken(ctx.crypto, kind, grantId, oldToken, nonce);
  const access = wantsJwt(base.audience, ctx.config)
    ? await mintAccessToken(ctx, base, now)
    : await tryPort('CryptoPort.sha256', () => make('access_token'));
  if (access.isErr()) return err(access.error);
  const next = await tryPort('CryptoPort.sha256', () => make('refresh_token'));
  return next.map((refresh) => [access.value, refresh] as const);
}

/** What a refresh issues for `record`: the narrowed scopes, restricted to the narrowed audience. */
function successorBase(
  ctx: Context,
  client: ClientRecord,
  record: RefreshTokenRecord,
  grantId: string,
  scopes: readonly string[],
  audience: readonly string[],
): GrantTokensBase {
  return {
    grantId,
    clientId: client.id,
    subject: record.subject,
    grantScopes: record.scopes,
    accessScopes: audienceScopes(scopes, audience, ctx.config),
    oidc: record.oidc,
    audience,
    resources: record.resources ?? [],
  };
}

/**
 * A refresh token that was already rotated: a retry inside the client's grace
 * window gets the same successor again (re-derived, and it must still be the
 * live one); anything else is reuse, and the whole grant is revoked.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
async function onReuse(
  ctx: Context,
  client: ClientRecord,
  token: string,
  key: TokenKey,
  record: RefreshTokenRecord,
  now: number,
): Outcome<TokenResponse> {
  const rotation = record.rotation;
  const decision = rotation === undefined ? { kind: 'reuse' as const } : reuseDecision(rotation, client, now);
  const reused = (detail: string) =>
    revokeReplayed(
      ctx,
      { grantId: key.grantId, clientId: client.id, credential: 'refresh_token' },
      now,
      invalidRefresh(detail),
    );
  if (rotation === undefined || decision.kind === 'reuse')
    return reused('refresh token reused: grant revoked');
  const audience = rotation.accessAudience ?? [];
  // The successor as the rotation recorded it (its scopes were already fitted to its audience).
  const retried = {
    ...successorBase(ctx, client, record, key.grantId, rotation.accessScopes, audience),
    accessScopes: rotation.accessScopes,
  };
  const derived = await successors(ctx, retried, token, decision.nonce, now);
  if (derived.isErr()) return err(derived.error);
  const [access, next] = derived.value;
  if (next.key.hash !== rotation.successor.hash) return err(invalidRefresh());
  const live = await tryPort('GrantStore.findRefreshToken', () => ctx.store.findRefreshToken(next.key));
  if (live.isErr()) return err(live.error);
  if (live.value === undefined || live.value.rotation !== undefined) {
    return reused('grace retry after the successor was used');
  }
  let accessExpiresAt = rotation.accessExpiresAt;
  if (wantsJwt(audience, ctx.config)) {
    // A JWT access token is signed anew for the retry: store it too (unless the grant was revoked meanwhile).
    const fresh = grantTokens(ctx, retried, access, undefined, now);
    const issued = await tryPort('GrantStore.issueTokens', () => ctx.store.issueTokens(fresh.issue));
    if (issued.isErr()) return err(issued.error);
    if (issued.value.status !== 'issued') return err(invalidRefresh('grant revoked during a grace retry'));
    accessExpiresAt = fresh.accessExpiresAt;
  }
  const idToken = await refreshedIdToken(ctx, client, record, rotation.accessScopes, access.value, now);
  if (idToken.isErr()) return err(idToken.error);
  return ok(
    tokenResponse(access.value, accessExpiresAt, now, rotation.accessScopes, next.value, idToken.value),
  );
}

/**
 * The ID Token of a refresh, for an OpenID Connect grant whose new access
 * token keeps `openid`: the original `auth_time`, no `nonce`
 * (OpenID Connect Core section 12.2).
 */
function refreshedIdToken(
  ctx: Context,
  client: ClientRecord,
  record: RefreshTokenRecord,
  scopes: readonly string[],
  accessToken: string,
  now: number,
): Outcome<string | undefined> {
  const oidc = record.oidc;
  if (oidc === undefined || !scopes.includes('openid')) return Promise.resolve(ok(undefined));
  return issueIdToken(
    ctx,
    { subject: record.subject, clientId: client.id, scopes, oidc },
    accessToken,
    now,
    false,
  );
}

/**
 * RFC 6749 section 6 and RFC 9700 section 4.14: refresh with rotation and
 * reuse detection. The old token is marked rotated and its successors stored
 * in one atomic step; a second use of it revokes the grant, unless the
 * client's grace window allows a retry.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export async function refresh(ctx: Context, client: ClientRecord, params: Params): Outcome<TokenResponse> {
  const token = param(params, 'refresh_token');
  if (token === undefined)
    return err(oauthError('invalid_request', 'The refresh_token parameter is missing.'));
  const parsed = await tryPort('CryptoPort.sha256', () => parseToken(ctx.crypto, token));
  if (parsed.isErr()) return err(parsed.error);
  if (parsed.value === undefined || parsed.value.kind !== 'refresh_token') return err(invalidRefresh());
  const key = parsed.value.key;
  const found = await tryPort('GrantStore.findRefreshToken', () => ctx.store.findRefreshToken(key));
  if (found.isErr()) return err(found.error);
  const now = ctx.clock.now();
  const checked = checkRefreshToken(found.value, client, now);
  if (checked.isErr()) return err(checked.error);
  const record = checked.value;
  if (record.rotation !== undefined) return onReuse(ctx, client, token, key, record, now);
  const scopes = narrowScopes(param(params, 'scope'), record.scopes);
  if (scopes.isErr()) return err(scopes.error);
  // RFC 8707 section 2.2: a refresh may narrow the access token to some of the granted resources.
  const audience = narrowResources(params.get('resource'), record.resources ?? []);
  if (audience.isErr()) return err(audience.error);
  const base = successorBase(ctx, client, record, key.grantId, scopes.value, audience.value);
  const graceful = (client.refreshTokenGraceSeconds ?? 0) > 0;
  const nonce = graceful ? base64url(ctx.crypto.randomBytes(32)) : undefined;
  const minted = await successors(ctx, base, token, nonce, now);
  if (minted.isErr()) return err(minted.error);
  const [access, next] = minted.value;
  const tokens = grantTokens(ctx, base, access, next, now);
  // Signed before the rotation: a failure then leaves the old token usable and nothing issued.
  const idToken = await refreshedIdToken(ctx, client, record, base.accessScopes, access.value, now);
  if (idToken.isErr()) return err(idToken.error);
  const plain: RefreshRotation = {
    rotatedAt: now,
    successor: next.key,
    accessScopes: base.accessScopes,
    accessExpiresAt: tokens.accessExpiresAt,
  };
  const withAudience = audience.value.length === 0 ? plain : { ...plain, accessAudience: audience.value };
  const rotation: RefreshRotation = nonce === undefined ? withAudience : { ...withAudience, nonce };
  const rotated = await tryPort('GrantStore.rotateRefreshToken', () =>
    ctx.store.rotateRefreshToken(key, rotation, tokens.issue),
  );
  if (rotated.isErr()) return err(rotated.error);
  const outcome = rotated.value;
  if (outcome.status === 'reused') return onReuse(ctx, client, token, key, outcome.record, now);
  if (outcome.status !== 'rotated') return err(invalidRefresh());
  if (ctx.onGrantEvent !== undefined) {
    const failed = await emit(ctx, {
      type: 'tokens.refreshed',
      grantId: key.grantId,
      at: now,
      clientId: client.id,
      subject: record.subject,
      scopes: base.accessScopes,
    });
    if (failed !== undefined) return err(failed);
  }
  return ok(
    tokenResponse(access.value, tokens.accessExpiresAt, now, base.accessScopes, next.value, idToken.value),
  );
}

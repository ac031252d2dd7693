import { err, ok } from 'neverthrow';
import { base64url } from '../../crypto.ts';
import { oauthError } from '../../errors.ts';
import { type Context, emit } from '../../lib/context.ts';
import { issueIdToken } from '../../lib/openid.ts';
import { type Outcome, tryPort } from '../../lib/port.ts';
import { type Params, param } from '../../params.ts';
import type { ClientRecord } from '../../ports.ts';
import { checkCodeRedemption, invalidCode } from '../../rules/code-redemption.ts';
import { audienceScopes, narrowResources } from '../../rules/resource.ts';
import { parseToken } from '../../tokens.ts';
import { grantTokens, mintPair, type TokenResponse, tokenOidc, tokenResponse } from './issue.ts';
import { revokeReplayed } from './replay.ts';

/**
 * RFC 6749 section 4.1.3: redeems an authorization code. The code is checked
 * against the request before it is consumed (a wrong client or verifier
 * cannot burn it), then consumed and its tokens stored in one atomic step.
 * A replay revokes the whole grant (RFC 6749 section 4.1.2, RFC 9700
 * section 4.2.4).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
export async function exchangeCode(
  ctx: Context,
  client: ClientRecord,
  params: Params,
): Outcome<TokenResponse> {
  const code = param(params, 'code');
  if (code === undefined) return err(oauthError('invalid_request', 'The code parameter is missing.'));
  const redirectUri = param(params, 'redirect_uri');
  const codeVerifier = param(params, 'code_verifier');
  const replayed = (grantId: string, now: number) =>
    revokeReplayed(
      ctx,
      { grantId, clientId: client.id, credential: 'code' },
      now,
      invalidCode('code replayed: grant revoked'),
    );

  const parsed = await tryPort('CryptoPort.sha256', () => parseToken(ctx.crypto, code));
  if (parsed.isErr()) return err(parsed.error);
  if (parsed.value === undefined || parsed.value.kind !== 'code') return err(invalidCode('not a code'));
  const key = parsed.value.key;

  const found = await tryPort('GrantStore.findCode', () => ctx.store.findCode(key));
  if (found.isErr()) return err(found.error);
  const stored = found.value;
  const now = ctx.clock.now();
  if (stored === undefined) return err(invalidCode('unknown code'));
  if (stored.consumed) return replayed(stored.record.grantId, now);
  const record = stored.record;

  let verifierChallenge: string | undefined;
  if (codeVerifier !== undefined) {
    const digest = await tryPort('CryptoPort.sha256', () => ctx.crypto.sha256(codeVerifier));
    if (digest.isErr()) return err(digest.error);
    verifierChallenge = base64url(digest.value);
  }
  const redeemable = checkCodeRedemption(
    record,
    client,
    { redirectUri, codeVerifier, verifierChallenge },
    now,
  );
  if (redeemable.isErr()) return err(redeemable.error);

  // RFC 8707 section 2.2: the access token is for the resources named here, among those granted.
  const resources = record.resources ?? [];
  const audience = narrowResources(params.get('resource'), resources);
  if (audience.isErr()) return err(audience.error);
  const base = {
    grantId: record.grantId,
    clientId: client.id,
    subject: record.subject,
    grantScopes: record.scopes,
    accessScopes: audienceScopes(record.scopes, audience.value, ctx.config),
    oidc: record.oidc === undefined ? undefined : tokenOidc(record.oidc),
    audience: audience.value,
    resources,
  };

  // OpenID Connect Core section 11, when the server opts in: refresh tokens only with offline_access.
  const offlineOnly = ctx.config.oidc.offlineAccess && record.oidc !== undefined;
  const withRefresh =
    client.grantTypes.includes('refresh_token') && (!offlineOnly || record.scopes.includes('offline_access'));
  const minted = await mintPair(ctx, base, withRefresh, now);
  if (minted.isErr()) return err(minted.error);
  const [access, refresh] = minted.value;
  // The ID Token is signed before the code is spent: a failure then leaves nothing issued.
  let idToken: string | undefined;
  if (record.oidc !== undefined) {
    const signed = await issueIdToken(
      ctx,
      { subject: record.subject, clientId: client.id, scopes: record.scopes, oidc: record.oidc },
      access.value,
      now,
      true,
    );
    if (signed.isErr()) return err(signed.error);
    idToken = signed.value;
  }
  const tokens = grantTokens(ctx, base, access, refresh, now);
  // One atomic step: the code is spent and its tokens stored together, or neither.
  const consumed = await tryPort('GrantStore.consumeCode', () => ctx.store.consumeCode(key, tokens.issue));
  if (consumed.isErr()) return err(consumed.error);
  const outcome = consumed.value;
  if (outcome.status === 'replayed') return replayed(outcome.grantId, now);
  if (outcome.status !== 'consumed') return err(invalidCode('code consumed or revoked meanwhile'));
  if (ctx.onGrantEvent !== undefined) {
    const failed = await emit(ctx, {
      type: 'tokens.issued',
      grantId: record.grantId,
      at: now,
      clientId: client.id,
      subject: record.subject,
      scopes: record.scopes,
      grantType: 'authorization_code',
      refreshToken: refresh !== undefined,
    });
    if (failed !== undefined) return err(failed);
  }
  return ok(
    tokenResponse(access.value, tokens.accessExpiresAt, now, base.accessScopes, refresh?.value, idToken),
  );
}

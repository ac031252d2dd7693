import { err, ok } from 'neverthrow';
import { oauthError } from '../../errors.ts';
import { type Context, emit } from '../../lib/context.ts';
import { type Outcome, tryPort } from '../../lib/port.ts';
import { type Params, param } from '../../params.ts';
import type { ClientRecord } from '../../ports.ts';
import { audienceScopes, requestedResources } from '../../rules/resource.ts';
import { requestedScopes } from '../../rules/scope.ts';
import { newGrantId } from '../../tokens.ts';
import { grantTokens, mintPair, type TokenResponse, tokenResponse } from './issue.ts';

/**
 * RFC 6749 section 4.4: client credentials, for confidential clients. Every
 * token is a grant of its own; no refresh token. `resource` (RFC 8707)
 * binds it to registered resource servers.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export async function clientCredentials(
  ctx: Context,
  client: ClientRecord,
  params: Params,
): Outcome<TokenResponse> {
  if (client.tokenEndpointAuthMethod === 'none') {
    return err(oauthError('unauthorized_client', 'Public clients may not use client credentials.'));
  }
  const scopes = requestedScopes(param(params, 'scope'), client, ctx.config.scopes, ctx.config.defaultScopes);
  if (scopes.isErr()) return err(scopes.error);
  const audience = requestedResources(params.get('resource'), client, ctx.config);
  if (audience.isErr()) return err(audience.error);
  const grantId = newGrantId(ctx.crypto);
  const now = ctx.clock.now();
  const base = {
    grantId,
    clientId: client.id,
    subject: undefined,
    grantScopes: scopes.value,
    accessScopes: audienceScopes(scopes.value, audience.value, ctx.config),
    audience: audience.value,
    resources: audience.value,
  };
  const minted = await mintPair(ctx, base, false, now);
  if (minted.isErr()) return err(minted.error);
  const [access] = minted.value;
  const tokens = grantTokens(ctx, base, access, undefined, now);
  const issued = await tryPort('GrantStore.issueTokens', () => ctx.store.issueTokens(tokens.issue));
  if (issued.isErr()) return err(issued.error);
  if (issued.value.status !== 'issued') {
    return err(oauthError('server_error', 'The server encountered an unexpected error.'));
  }
  if (ctx.onGrantEvent !== undefined) {
    const clientId = client.id;
    const failed =
      (await emit(ctx, { type: 'grant.created', grantId, at: now, clientId, scopes: scopes.value })) ??
      (await emit(ctx, {
        type: 'tokens.issued',
        grantId,
        at: now,
        clientId,
        scopes: scopes.value,
        grantType: 'client_credentials',
        refreshToken: false,
      }));
    if (failed !== undefined) return err(failed);
  }
  return ok(tokenResponse(access.value, tokens.accessExpiresAt, now, base.accessScopes));
}

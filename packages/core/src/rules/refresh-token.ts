import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import type { ClientRecord, RefreshRotation, RefreshTokenRecord } from '../ports.ts';

type GrantError = OAuthErrorOf<'invalid_grant'>;

/**
 * The one `invalid_grant` a client gets for any refresh token it cannot use:
 * unknown, expired, revoked, rotated, or another client's. The same words
 * whichever check failed; `detail` (developer-only) says which.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function invalidRefresh(detail?: string): GrantError {
  return oauthError('invalid_grant', 'The refresh token is invalid, expired, or revoked.', { detail });
}

/**
 * Checks a refresh token record against the client presenting it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export function checkRefreshToken(
  record: RefreshTokenRecord | undefined,
  client: ClientRecord,
  now: number,
): Result<RefreshTokenRecord, GrantError | OAuthErrorOf<'unauthorized_client'>> {
  if (record === undefined) return err(invalidRefresh('unknown refresh token'));
  if (record.clientId !== client.id) return err(invalidRefresh('refresh token of another client'));
  if (record.expiresAt <= now) return err(invalidRefresh('refresh token expired'));
  if (!client.grantTypes.includes('refresh_token')) {
    return err(oauthError('unauthorized_client', 'This client may not use refresh tokens.'));
  }
  return ok(record);
}

/**
 * What to do with a refresh token that was already rotated: a retry inside
 * the client's grace window gets the same successor; anything else is reuse,
 * and the whole grant is revoked.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export function reuseDecision(
  rotation: RefreshRotation,
  client: ClientRecord,
  now: number,
): { readonly kind: 'retry'; readonly nonce: string } | { readonly kind: 'reuse' } {
  const graceMs = (client.refreshTokenGraceSeconds ?? 0) * 1000;
  if (rotation.nonce !== undefined && graceMs > 0 && now - rotation.rotatedAt <= graceMs) {
    return { kind: 'retry', nonce: rotation.nonce };
  }
  return { kind: 'reuse' };
}

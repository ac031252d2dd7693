import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import type { ClientRecord, CodeRecord, RefreshRotation, RefreshTokenRecord } from '../ports.ts';
import { checkVerifier } from './pkce.ts';

type GrantError = OAuthErrorOf<'invalid_grant'>;

const invalidCode = (detail: string): GrantError =>
  oauthError(
    'invalid_grant',
    'The authorization code is invalid, expired, or was issued to another client.',
    {
      detail,
    },
  );

/** The token request's fields a code is checked against. */
export interface CodeRedemption {
  readonly redirectUri: string | undefined;
  readonly codeVerifier: string | undefined;
  /** BASE64URL(SHA-256(code_verifier)), computed by the caller. */
  readonly verifierChallenge: string | undefined;
}

/**
 * Checks a consumed code against the token request that redeems it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
export function checkCodeRedemption(
  record: CodeRecord,
  client: ClientRecord,
  redemption: CodeRedemption,
  now: number,
): Result<CodeRecord, GrantError> {
  if (record.clientId !== client.id) return err(invalidCode('code issued to another client'));
  if (record.expiresAt <= now) return err(invalidCode('code expired'));
  const { redirectUri } = redemption;
  if (
    record.redirectUriProvided
      ? redirectUri !== record.redirectUri
      : redirectUri !== undefined && redirectUri !== record.redirectUri
  ) {
    return err(
      oauthError('invalid_grant', 'The redirect_uri does not match the one of the authorization request.'),
    );
  }
  return checkVerifier(record, redemption.codeVerifier, redemption.verifierChallenge).map(() => record);
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
  const invalid = (detail: string) =>
    err(oauthError('invalid_grant', 'The refresh token is invalid, expired, or revoked.', { detail }));
  if (record === undefined) return invalid('unknown refresh token');
  if (record.clientId !== client.id) return invalid('refresh token of another client');
  if (record.expiresAt <= now) return invalid('refresh token expired');
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

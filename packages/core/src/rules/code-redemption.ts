import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import type { ClientRecord, CodeRecord } from '../ports.ts';
import { checkVerifier } from './pkce.ts';

type GrantError = OAuthErrorOf<'invalid_grant'>;

/**
 * The one `invalid_grant` a client gets for any code it cannot redeem:
 * unknown, expired, spent, issued to another client, for another
 * `redirect_uri`, or with a wrong PKCE verifier. The same words whichever
 * check failed, so an attacker learns nothing; `detail` (developer-only,
 * never sent) says which.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function invalidCode(detail?: string): GrantError {
  return oauthError('invalid_grant', 'The authorization code is invalid, expired, or already used.', {
    detail,
  });
}

/** The token request's fields a code is checked against. */
export interface CodeRedemption {
  readonly redirectUri: string | undefined;
  readonly codeVerifier: string | undefined;
  /** BASE64URL(SHA-256(code_verifier)), computed by the caller. */
  readonly verifierChallenge: string | undefined;
}

/**
 * Checks a code against the token request that redeems it: the client it
 * was issued to first (so another client learns nothing about PKCE), then
 * expiry, the `redirect_uri` of the authorization request, and PKCE.
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
    return err(invalidCode('redirect_uri differs from the authorization request'));
  }
  const verified = checkVerifier(record, redemption.codeVerifier, redemption.verifierChallenge);
  return verified.isErr() ? err(invalidCode(verified.error.detail)) : ok(record);
}

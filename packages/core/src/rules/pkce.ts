import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import type { CodeRecord } from '../ports.ts';

/**
 * `code_challenge` and `code_verifier`: 43 to 128 characters of
 * `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export const pkcePattern = /^[A-Za-z0-9._~-]{43,128}$/;

/** A validated PKCE challenge. */
export interface PkceChallenge {
  readonly codeChallenge: string;
  readonly codeChallengeMethod: 'S256';
}

/**
 * Checks an authorization request's PKCE parameters. Only S256: a missing
 * method means `plain` (RFC 7636 section 4.3), which is refused.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1
 */
export function checkChallenge(
  challenge: string | undefined,
  method: string | undefined,
  required: boolean,
): Result<PkceChallenge | undefined, OAuthErrorOf<'invalid_request'>> {
  if (challenge === undefined) {
    if (method !== undefined) {
      return err(oauthError('invalid_request', 'code_challenge_method was sent without code_challenge.'));
    }
    return required
      ? err(
          oauthError(
            'invalid_request',
            'PKCE is required: send code_challenge with code_challenge_method S256.',
          ),
        )
      : ok(undefined);
  }
  if (method !== 'S256') {
    return err(oauthError('invalid_request', 'Only the S256 code_challenge_method is supported.'));
  }
  if (!pkcePattern.test(challenge)) {
    return err(oauthError('invalid_request', 'The code_challenge is malformed.'));
  }
  return ok({ codeChallenge: challenge, codeChallengeMethod: 'S256' });
}

/**
 * Checks a token request's `code_verifier` against the code's challenge.
 * `verifierChallenge` is BASE64URL(SHA-256(code_verifier)), computed by the caller.
 * A verifier for a code issued without a challenge is a downgrade attempt.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.8.2
 */
export function checkVerifier(
  record: Pick<CodeRecord, 'codeChallenge'>,
  verifier: string | undefined,
  verifierChallenge: string | undefined,
): Result<void, OAuthErrorOf<'invalid_grant'>> {
  const fail = (detail: string) =>
    err(oauthError('invalid_grant', 'The code_verifier does not match the code_challenge.', { detail }));
  if (record.codeChallenge === undefined) {
    return verifier === undefined ? ok(undefined) : fail('code_verifier for a code issued without challenge');
  }
  if (verifier === undefined) return fail('code_verifier missing');
  if (!pkcePattern.test(verifier)) return fail('code_verifier malformed');
  if (verifierChallenge !== record.codeChallenge) return fail('code_verifier does not match the challenge');
  return ok(undefined);
}

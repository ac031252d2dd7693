import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import { detached } from '../lib/strings.ts';
import type { ClientRecord } from '../ports.ts';

/** The redirect URI a request resolved to, and whether the client sent it. */
export interface ResolvedRedirectUri {
  readonly redirectUri: string;
  readonly provided: boolean;
}

/** `http://` + a loopback IP literal + an optional port + the rest, as written. */
const loopback = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;

/**
 * RFC 8252 section 7.3: for a registered loopback IP redirect URI, any port
 * may be used at request time (or none). Everything else stays byte-exact:
 * the comparison is on the strings as written, with only the port taken out,
 * never on a parsed and re-serialised URL.
 */
function matchesLoopback(registered: string, requested: string): boolean {
  const reg = loopback.exec(registered);
  const req = loopback.exec(requested);
  if (reg === null || req === null) return false;
  if (req[2] !== undefined && Number(req[2]) > 65535) return false;
  return reg[1] === req[1] && (reg[3] ?? '') === (req[3] ?? '');
}

/**
 * Chooses the redirect URI of an authorization request. Errors here are
 * never redirected (RFC 6749 section 4.1.2.1).
 *
 * - a sent `redirect_uri` must equal a registered one exactly (loopback IP port excepted);
 * - without one, the client must have exactly one registered.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2.3
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3
 */
export function resolveRedirectUri(
  client: ClientRecord,
  requested: string | undefined,
): Result<ResolvedRedirectUri, OAuthErrorOf<'invalid_request'>> {
  if (requested === undefined) {
    const [only, ...others] = client.redirectUris;
    if (only === undefined || others.length > 0) {
      return err(oauthError('invalid_request', 'The redirect_uri parameter is required for this client.'));
    }
    return ok({ redirectUri: only, provided: false });
  }
  for (const registered of client.redirectUris) {
    // The registered string where it is the same; a copy where only the loopback port differs.
    if (registered === requested) return ok({ redirectUri: registered, provided: true });
    if (matchesLoopback(registered, requested))
      return ok({ redirectUri: detached(requested), provided: true });
  }
  return err(
    oauthError('invalid_request', 'The redirect_uri does not match any registered for this client.', {
      detail: `client ${client.id}: unregistered redirect_uri`,
    }),
  );
}

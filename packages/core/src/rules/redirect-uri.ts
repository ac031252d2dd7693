import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import type { ClientRecord } from '../ports.ts';

/** The redirect URI a request resolved to, and whether the client sent it. */
export interface ResolvedRedirectUri {
  readonly redirectUri: string;
  readonly provided: boolean;
}

const loopbackIps = new Set(['127.0.0.1', '[::1]']);

/**
 * RFC 8252 section 7.3: for a registered loopback IP redirect URI, the port
 * may differ at request time. Everything else stays byte-exact: the expected
 * string is the registered URI with the requested port put in.
 */
function matchesLoopback(registered: string, requested: string): boolean {
  let reg: URL;
  let req: URL;
  try {
    reg = new URL(registered);
    req = new URL(requested);
  } catch {
    return false;
  }
  if (reg.protocol !== 'http:' || !loopbackIps.has(reg.hostname)) return false;
  if (req.port === '') return false;
  const expected = `${reg.protocol}//${reg.hostname}:${req.port}${reg.pathname}${reg.search}`;
  return requested === expected;
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
    if (registered === requested || matchesLoopback(registered, requested)) {
      return ok({ redirectUri: requested, provided: true });
    }
  }
  return err(
    oauthError('invalid_request', 'The redirect_uri does not match any registered for this client.', {
      detail: `client ${client.id}: unregistered redirect_uri`,
    }),
  );
}

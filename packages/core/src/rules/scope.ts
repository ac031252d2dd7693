import { err, ok, type Result } from 'neverthrow';
import { scopeTokenPattern } from '../config.ts';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import { canonical } from '../lib/strings.ts';
import type { ClientRecord } from '../ports.ts';

type ScopeError = OAuthErrorOf<'invalid_scope'>;

/**
 * Splits a `scope` parameter into its tokens (duplicates dropped, order kept).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function parseScope(value: string): Result<string[], ScopeError> {
  const tokens = value.split(' ').filter((token) => token !== '');
  if (tokens.length === 0 || !tokens.every((token) => scopeTokenPattern.test(token))) {
    return err(oauthError('invalid_scope', 'The scope parameter is malformed.'));
  }
  return ok([...new Set(tokens)]);
}

/**
 * The scopes a request asks for. When it names none (RFC 6749 section 3.3:
 * the server then uses a pre-defined default): the client's `defaultScopes`,
 * else the server-wide `serverDefaults` the client may use, else
 * `invalid_scope`. Every requested scope must be known to the server and
 * allowed for the client. The strings returned are the client's own (or the
 * server's), never pieces of the request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function requestedScopes(
  value: string | undefined,
  client: ClientRecord,
  supported: Readonly<Record<string, string>>,
  serverDefaults: readonly string[] = [],
): Result<string[], ScopeError> {
  const known = (scopes: readonly string[]) =>
    scopes.every((scope) => Object.hasOwn(supported, scope) && client.scopes.includes(scope));
  if (value === undefined) {
    const defaults = client.defaultScopes ?? serverDefaults.filter((scope) => client.scopes.includes(scope));
    if (defaults.length === 0) return err(oauthError('invalid_scope', 'The scope parameter is required.'));
    return known(defaults)
      ? ok([...defaults])
      : err(oauthError('invalid_scope', 'The default scope of this client is not supported by the server.'));
  }
  return parseScope(value).andThen((scopes) =>
    known(scopes)
      ? ok(canonical(scopes, client.scopes))
      : err(
          oauthError(
            'invalid_scope',
            'The requested scope is invalid, unknown, or not allowed for this client.',
          ),
        ),
  );
}

/**
 * A narrower scope for a refreshed access token: every requested scope must
 * be in the grant; without `scope`, the grant's own. The strings returned are
 * the grant's, never pieces of the request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export function narrowScopes(
  value: string | undefined,
  granted: readonly string[],
): Result<string[], ScopeError> {
  if (value === undefined) return ok([...granted]);
  return parseScope(value).andThen((scopes) =>
    scopes.every((scope) => granted.includes(scope))
      ? ok(canonical(scopes, granted))
      : err(oauthError('invalid_scope', 'The requested scope exceeds the scope originally granted.')),
  );
}

/** True when every scope of `subset` is in `of`. */
export function isSubset(subset: readonly string[], of: readonly string[]): boolean {
  return subset.every((scope) => of.includes(scope));
}

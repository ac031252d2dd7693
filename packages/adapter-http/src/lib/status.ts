/**
 * The status table: what every OAuth error is on the wire. Core decides what
 * an error is (including that a failing store is `temporarily_unavailable`
 * or `server_error`, see core's `portFailure`); this module alone decides its
 * HTTP status and headers, for every endpoint, page and bridge.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @module
 */
import { type OAuthError, portFailure } from '@kraikub/core';
import { type HttpOutput, json, noStore, quoted } from './http.ts';

/**
 * The HTTP status of an OAuth error: 400 by default; 401 for
 * `invalid_client` when the client used HTTP Basic (RFC 6749 section 5.2:
 * it then MUST be 401 with `WWW-Authenticate`); 500 for `server_error`;
 * 503 for `temporarily_unavailable`.
 *
 * @example
 * ```ts
 * import { statusOf } from '@kraikub/adapter-http';
 * import { oauthError } from '@kraikub/core';
 * statusOf(oauthError('temporarily_unavailable', 'Try again later.')); // 503
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function statusOf(error: OAuthError): number {
  switch (error.error) {
    case 'invalid_client':
      return error.basicAuth ? 401 : 400;
    case 'server_error':
      return 500;
    case 'temporarily_unavailable':
      return 503;
    default:
      return 400;
  }
}

/**
 * What an exception thrown on the way to an answer (a store, the host's
 * route or page) becomes: core's decision (`temporarily_unavailable` when
 * transient, `server_error` otherwise), never its message.
 */
export function failureOf(cause: unknown, where: string): OAuthError {
  return portFailure(cause, where);
}

/**
 * The JSON error response (RFC 6749 section 5.2), with `no-store`.
 * `invalid_client` is a 401 with a Basic challenge when the client used
 * HTTP Basic, and always where `alwaysChallenge` is set (the introspection
 * endpoint, RFC 7662 section 2.3).
 */
export function errorJson(error: OAuthError, realm: string, alwaysChallenge = false): HttpOutput {
  const headers: Record<string, string> = { ...noStore };
  let status = statusOf(error);
  if (error.error === 'invalid_client' && (error.basicAuth || alwaysChallenge)) {
    status = 401;
    headers['www-authenticate'] = `Basic realm=${quoted(realm)}, charset="UTF-8"`;
  }
  return json(status, { error: error.error, error_description: error.description }, headers);
}

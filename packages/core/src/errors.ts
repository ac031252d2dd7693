/**
 * The error codes an OAuth 2.0 / OpenID Connect authorization server answers with.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (authorization endpoint)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (token endpoint)
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthError (OpenID Connect)
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2 (`invalid_target`)
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2 (client registration)
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 8707 section 2: a resource that is unknown, malformed or not allowed
  | 'invalid_target'
  // OpenID Connect Core 1.0 section 3.1.2.6
  | 'interaction_required'
  | 'login_required'
  | 'account_selection_required'
  | 'consent_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported'
  // RFC 7591 section 3.2.2: dynamic client registration
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_software_statement'
  | 'unapproved_software_statement'
  // RFC 6750 section 3.1: a bearer token (here a registration access token, RFC 7592) that is not valid
  | 'invalid_token';

/**
 * Where an authorization error may be sent: present only on errors found
 * after the client and its redirect URI were validated.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
export interface ErrorRedirect {
  /** The validated redirect URI of the client. */
  readonly redirectUri: string;
  /** The client's `state`, echoed byte-exact, when it sent one. */
  readonly state: string | undefined;
  /** This server's issuer identifier (RFC 9207 `iss`). */
  readonly iss: string;
}

interface OAuthErrorFields<C extends OAuthErrorCode> {
  /** The RFC error code: the discriminant. */
  readonly error: C;
  /** Human-readable, safe to show to anyone: plain ASCII, never echoes input. */
  readonly description: string;
  /** Developer-only detail for logs; never sent to clients. */
  readonly detail?: string;
  /**
   * Set when this is an authorization endpoint error that may be redirected
   * to the client. Absent: show it as an error page, never redirect.
   */
  readonly redirect?: ErrorRedirect;
}

/** `invalid_client` also says whether the client tried HTTP Basic (the HTTP layer then answers 401). */
export interface InvalidClientError extends OAuthErrorFields<'invalid_client'> {
  /** True when the client authenticated (or tried to) with HTTP Basic. */
  readonly basicAuth: boolean;
}

/**
 * An OAuth error as a value: a union discriminated on `error`.
 *
 * @example
 * ```ts
 * import type { AuthorizationServer, EndpointRequest } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 * declare const request: EndpointRequest;
 * const result = await server.token(request);
 * if (result.isErr() && result.error.error === 'invalid_client' && result.error.basicAuth) {
 *   // answer 401 with WWW-Authenticate
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export type OAuthError = EachError<Exclude<OAuthErrorCode, 'invalid_client'>> | InvalidClientError;

/** Distributes over the codes: one member of the union per code. */
type EachError<C> = C extends OAuthErrorCode ? OAuthErrorFields<C> : never;

/** The error with the given code. */
export type OAuthErrorOf<C extends OAuthErrorCode> = Extract<OAuthError, { error: C }>;

const printableAscii = /[^\x20-\x7e]/g;

/** Descriptions are ours, but a stray non-ASCII or control character must never reach a client. */
function safeDescription(text: string): string {
  // RFC 6749 section 5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
  return text.replace(printableAscii, '?').replace(/["\\]/g, "'");
}

interface ErrorOptions {
  /** Developer-only; an undefined detail is left out. */
  readonly detail?: string | undefined;
  readonly redirect?: ErrorRedirect;
}

/**
 * Builds an {@link OAuthError} other than `invalid_client`.
 *
 * @example
 * ```ts
 * import { oauthError } from '@kraikub/core';
 * const error = oauthError('invalid_grant', 'The authorization code is invalid or expired.');
 * ```
 */
export function oauthError<C extends Exclude<OAuthErrorCode, 'invalid_client'>>(
  error: C,
  description: string,
  options: ErrorOptions = {},
): OAuthErrorOf<C> {
  const value: { error: C; description: string; detail?: string; redirect?: ErrorRedirect } = {
    error,
    description: safeDescription(description),
  };
  if (options.detail !== undefined) value.detail = options.detail;
  if (options.redirect !== undefined) value.redirect = options.redirect;
  return value as OAuthErrorOf<C>;
}

/**
 * Builds an `invalid_client` error.
 *
 * @example
 * ```ts
 * import { invalidClient } from '@kraikub/core';
 * const error = invalidClient('Client authentication failed.', { basicAuth: true });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function invalidClient(
  description: string,
  options: { readonly basicAuth: boolean; readonly detail?: string },
): InvalidClientError {
  const value: { error: 'invalid_client'; description: string; basicAuth: boolean; detail?: string } = {
    error: 'invalid_client',
    description: safeDescription(description),
    basicAuth: options.basicAuth,
  };
  if (options.detail !== undefined) value.detail = options.detail;
  return value;
}

/**
 * A copy of `error` that may be redirected to the client (never mutates).
 */
export function withRedirect<E extends OAuthError>(error: E, redirect: ErrorRedirect): E {
  return { ...error, redirect };
}

/**
 * Thrown (or rejected) by a storage adapter when its backend is unreachable
 * or timed out: core answers `temporarily_unavailable` instead of `server_error`.
 * Any error with `transient: true` is treated the same way.
 *
 * @example
 * ```ts
 * import { StorageUnavailableError } from '@kraikub/core';
 * throw new StorageUnavailableError('redis: command timed out');
 * ```
 */
export class StorageUnavailableError extends Error {
  /** Marks the failure as transient: worth retrying later. */
  readonly transient = true;
  override readonly name = 'StorageUnavailableError';
}

/** True when `value` is any of the {@link OAuthError} shapes. */
export function isOAuthError(value: unknown): value is OAuthError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { error?: unknown }).error === 'string' &&
    typeof (value as { description?: unknown }).description === 'string'
  );
}

/**
 * Whether a failure is transient (worth retrying later): a
 * {@link StorageUnavailableError}, or any error with `transient: true`.
 * Decided here once for every layer.
 */
export function isTransient(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && (cause as { transient?: unknown }).transient === true;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/**
 * The error a failed port call (or a host hook, or any code the provider
 * depends on) becomes, decided once: `temporarily_unavailable` when the
 * failure is {@link isTransient}, `server_error` otherwise. What failed and
 * why go into the developer-only `detail`; the description never says.
 *
 * @example
 * ```ts
 * import { portFailure, StorageUnavailableError } from '@kraikub/core';
 * portFailure(new StorageUnavailableError('redis: timed out'), 'GrantStore.findCode').error;
 * // 'temporarily_unavailable'
 * ```
 */
export function portFailure(
  cause: unknown,
  what: string,
): OAuthErrorOf<'server_error'> | OAuthErrorOf<'temporarily_unavailable'> {
  const detail = `${what} failed: ${describeCause(cause)}`;
  return isTransient(cause)
    ? oauthError('temporarily_unavailable', 'The service is temporarily unavailable. Try again later.', {
        detail,
      })
    : oauthError('server_error', 'The server encountered an unexpected error.', { detail });
}

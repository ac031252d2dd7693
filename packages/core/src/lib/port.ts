import { errAsync, ResultAsync } from 'neverthrow';
import { type OAuthError, oauthError } from '../errors.ts';

function isTransient(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && (cause as { transient?: unknown }).transient === true;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** The error a failed port call becomes: never a leaked exception. */
export function portFailure(cause: unknown, what: string): OAuthError {
  const detail = `${what} failed: ${describe(cause)}`;
  return isTransient(cause)
    ? oauthError('temporarily_unavailable', 'The service is temporarily unavailable. Try again later.', {
        detail,
      })
    : oauthError('server_error', 'The server encountered an unexpected error.', { detail });
}

/**
 * Calls a port once. A synchronous throw, a rejection or a non-promise
 * surprise all become `server_error` / `temporarily_unavailable`.
 */
export function callPort<T>(what: string, call: () => Promise<T>): ResultAsync<T, OAuthError> {
  let promise: Promise<T>;
  try {
    promise = call();
  } catch (cause) {
    return errAsync(portFailure(cause, what));
  }
  return ResultAsync.fromPromise(Promise.resolve(promise), (cause) => portFailure(cause, what));
}

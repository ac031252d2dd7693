import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
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

/** What a use case step resolves to: a value or the error to answer; never a rejection. */
export type Outcome<T> = Promise<Result<T, OAuthError>>;

/**
 * Calls a port once and resolves a `Result`: a synchronous throw or a
 * rejection becomes `server_error` / `temporarily_unavailable` naming the
 * port (the developer-only detail), never a leaked exception. The form the
 * token endpoint composes with plain `await`, without `ResultAsync` chains.
 *
 * @example
 * ```ts
 * const stored = await tryPort('GrantStore.findCode', () => ctx.store.findCode(key));
 * if (stored.isErr()) return err(stored.error);
 * ```
 */
export async function tryPort<T>(what: string, call: () => Promise<T>): Outcome<T> {
  try {
    return ok(await call());
  } catch (cause) {
    return err(portFailure(cause, what));
  }
}

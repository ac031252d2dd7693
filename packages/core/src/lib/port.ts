import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { type OAuthError, portFailure } from '../errors.ts';

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
 * import type { GrantStore, OAuthError, StoredCode, TokenKey } from '@kraikub/core';
 * import { invalidCode } from '@kraikub/core';
 * import { err, ok, type Result } from 'neverthrow';
 * declare function tryPort<T>(what: string, call: () => Promise<T>): Promise<Result<T, OAuthError>>;
 * declare const store: GrantStore;
 *
 * async function findLiveCode(key: TokenKey): Promise<Result<StoredCode, OAuthError>> {
 *   const stored = await tryPort('GrantStore.findCode', () => store.findCode(key));
 *   if (stored.isErr()) return err(stored.error);
 *   return stored.value === undefined ? err(invalidCode('unknown code')) : ok(stored.value);
 * }
 * ```
 */
export async function tryPort<T>(what: string, call: () => Promise<T>): Outcome<T> {
  try {
    return ok(await call());
  } catch (cause) {
    return err(portFailure(cause, what));
  }
}

/**
 * Error classification: every failure of a statement becomes core's
 * `StorageUnavailableError` (core answers `temporarily_unavailable`, 503),
 * a {@link PostgresQueryError} (core answers `server_error`, 500), or, for a
 * result this adapter did not expect, a {@link CorruptRecordError} (500).
 * None of them ever becomes a token.
 *
 * @module
 */
import { StorageUnavailableError } from '@kraikub/core';

/**
 * A PostgreSQL error that is not about availability (a constraint, a
 * missing table, a permission, bad input): core answers `server_error`.
 * `code` is the SQLSTATE when the server sent one.
 *
 * @example
 * ```ts
 * import { PostgresQueryError, type PostgresGrantStore } from '@kraikub/adapter-postgres';
 * declare const store: PostgresGrantStore;
 * try {
 *   await store.sweep();
 * } catch (error) {
 *   if (error instanceof PostgresQueryError && error.code === '42P01') console.error('run migrate() first');
 * }
 * ```
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export class PostgresQueryError extends Error {
  override readonly name = 'PostgresQueryError';
  /** The SQLSTATE (`42P01`, `23505`...), when the server sent one. */
  readonly code: string | undefined;

  constructor(message: string, options: { cause?: unknown; code?: string | undefined } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/**
 * Thrown for a stored value or a statement result this adapter did not
 * write or expect (a foreign row, a record of another grant, a status no
 * statement returns): core answers `server_error`, and never issues a
 * token from it.
 *
 * @example
 * ```ts
 * import { CorruptRecordError, type PostgresGrantStore } from '@kraikub/adapter-postgres';
 * import type { TokenKey } from '@kraikub/core';
 * declare const store: PostgresGrantStore;
 * declare const key: TokenKey;
 * try {
 *   await store.findAccessToken(key);
 * } catch (error) {
 *   if (error instanceof CorruptRecordError) console.error('a row this adapter did not write');
 * }
 * ```
 */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
}

/**
 * SQLSTATEs that say "not now" rather than "never": the same statement may
 * succeed later or on another server. Classes `08` (connection exception)
 * and `53` (insufficient resources: too many connections, out of memory,
 * disk full) are transient as a whole.
 */
const transientCodes = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown (pg_terminate_backend, a fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '25006', // read_only_sql_transaction (a standby after a failover)
]);

/** Node socket errors: the server cannot be reached or the connection broke. */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** What node-postgres and pg-pool say when a connection is lost, closed or never made. */
const driverMessages =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended|Client was closed|Cannot use a pool after calling end|read ECONNRESET|write EPIPE/i;

/** True for an error the server sent (node-postgres' `DatabaseError`, from any copy of it). */
function isServerError(error: unknown): error is Error & { code: string; severity: string } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { severity?: unknown }).severity === 'string'
  );
}

/**
 * True when `code` (a SQLSTATE) means the database is unavailable for now.
 *
 * @example
 * ```ts
 * // Internal, from this module:
 * declare function isTransientSqlState(code: string): boolean;
 * isTransientSqlState('57P01'); // true: the backend was terminated
 * isTransientSqlState('23505'); // false: a unique violation is a bug, not an outage
 * ```
 */
export function isTransientSqlState(code: string): boolean {
  return transientCodes.has(code) || code.startsWith('08') || code.startsWith('53');
}

/**
 * Every failure becomes one of two errors: a `StorageUnavailableError`
 * (a transient SQLSTATE, a socket error, a lost or refused connection, a
 * timeout, a pool that was ended), or a {@link PostgresQueryError}. Errors
 * already classified pass through; `what` names the operation in the message.
 *
 * @example
 * ```ts
 * // Internal, from this module:
 * declare function storeError(error: unknown, what: string): Error;
 * declare function run(): Promise<unknown>;
 * try {
 *   await run();
 * } catch (error) {
 *   throw storeError(error, 'consumeCode');
 * }
 * ```
 */
export function storeError(error: unknown, what: string): Error {
  if (
    error instanceof StorageUnavailableError ||
    error instanceof PostgresQueryError ||
    error instanceof CorruptRecordError
  ) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  const text = `postgres: ${what}: ${message}`;
  if (isServerError(error)) {
    return isTransientSqlState(error.code)
      ? new StorageUnavailableError(`${text} (${error.code})`, { cause: error })
      : new PostgresQueryError(`${text} (${error.code})`, { cause: error, code: error.code });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if ((typeof code === 'string' && socketCodes.has(code)) || driverMessages.test(message)) {
    return new StorageUnavailableError(text, { cause: error });
  }
  return new PostgresQueryError(text, { cause: error });
}

/**
 * Error classification: every failure of a Redis command becomes either
 * core's `StorageUnavailableError` (core answers `temporarily_unavailable`)
 * or a {@link RedisReplyError} (core answers `server_error`).
 *
 * @module
 */
import { StorageUnavailableError } from '@kraikub/core';
import { ErrorReply } from 'redis';

/**
 * A Redis error reply that is not about availability (`ERR`, `WRONGTYPE`,
 * `NOPERM`...): core answers `server_error`. Availability replies
 * (`CLUSTERDOWN`, `LOADING`, `BUSY`, `TRYAGAIN`, `MASTERDOWN`, `READONLY`, `OOM`...)
 * are `StorageUnavailableError`s instead.
 *
 * @example
 * ```ts
 * import { type RedisConnection, RedisReplyError } from '@kraikub/adapter-redis';
 * declare const connection: RedisConnection;
 * try {
 *   await connection.command(['GET', 'k']);
 * } catch (error) {
 *   if (error instanceof RedisReplyError) console.error(error.message);
 * }
 * ```
 */
export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError';
}

/** Error replies about availability: the same command may succeed later, or on another node. */
const transientReplies =
  /^(CLUSTERDOWN|LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|NOREPLICAS|OOM|MOVED|ASK)\b/;

/**
 * True for an error reply of the server (as opposed to a timeout, a
 * connection failure or a closed client), from this copy of node-redis or another.
 *
 * @example
 * ```ts
 * // Internal, from this module; and yours:
 * declare function isErrorReply(error: unknown): error is Error;
 * declare function loadScript(): Promise<void>;
 * declare const error: unknown; // what a command rejected with
 * if (isErrorReply(error) && error.message.startsWith('NOSCRIPT')) await loadScript();
 * ```
 */
export function isErrorReply(error: unknown): error is Error {
  if (error instanceof ErrorReply) return true;
  // A client from another copy of @redis/client: its classes differ, their names do not.
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return error instanceof Error && (name === 'SimpleError' || name === 'BlobError' || name === 'ErrorReply');
}

/**
 * Every failure becomes one of two errors: a `StorageUnavailableError`
 * (timeouts, refused or lost connections, a closed client, a full queue, a
 * cluster that is down or failing over), or a {@link RedisReplyError}.
 * Either of those is returned as it is; `what` names the command in the message.
 *
 * @example
 * ```ts
 * import type { RedisClientLike } from '@kraikub/adapter-redis';
 * // Internal, from this module:
 * declare function storeError(error: unknown, what: string): Error;
 * declare const client: RedisClientLike;
 *
 * async function get(key: string): Promise<unknown> {
 *   try {
 *     return await client.sendCommand(['GET', key]);
 *   } catch (error) {
 *     throw storeError(error, 'GET');
 *   }
 * }
 * ```
 */
export function storeError(error: unknown, what: string): Error {
  if (error instanceof StorageUnavailableError || error instanceof RedisReplyError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isErrorReply(error) && !transientReplies.test(message)) {
    return new RedisReplyError(`redis: ${what}: ${message}`, { cause: error });
  }
  return new StorageUnavailableError(`redis: ${what}: ${message}`, { cause: error });
}

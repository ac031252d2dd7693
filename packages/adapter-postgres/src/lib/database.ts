/**
 * The pool every store queries through: a statement per call, bounded by
 * the statement timeout, every failure classified for core (see `errors.ts`).
 *
 * @module
 */
import { StorageUnavailableError } from '@kraikub/core';
import pg from 'pg';
import { CorruptRecordError, storeError } from './errors.ts';
import { checkSchema, defaultSchema, quoted } from './identifiers.ts';
import { positiveMs, timedOut, withTimeout } from './timeout.ts';

/**
 * What the stores need of a pool: what node-postgres' `pg.Pool` is. Each
 * statement is one `query` call (one round trip on one pooled connection).
 *
 * @example
 * ```ts
 * import type { PostgresPool } from '@kraikub/adapter-postgres';
 * import pg from 'pg';
 * const pool: PostgresPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PostgresPool {
  query(config: {
    text: string;
    values?: unknown[];
    name?: string;
    query_timeout?: number;
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(): Promise<PostgresPoolClient>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  listenerCount(event: 'error'): number;
  end(): Promise<void>;
}

/**
 * A connection checked out of a {@link PostgresPool} (`pg.PoolClient`), for
 * what must run on one session: the migrations under their advisory lock.
 *
 * @example
 * ```ts
 * import type { PostgresPool, PostgresPoolClient } from '@kraikub/adapter-postgres';
 * declare const pool: PostgresPool;
 * const client: PostgresPoolClient = await pool.connect();
 * client.release();
 * ```
 */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
}

/**
 * The connection options every store shares.
 *
 * @example
 * ```ts
 * import type { PostgresConnectionOptions } from '@kraikub/adapter-postgres';
 * import pg from 'pg';
 * const options: PostgresConnectionOptions = {
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 }),
 *   schema: 'kraikub',
 *   statementTimeoutMs: 2_000,
 * };
 * ```
 */
export interface PostgresConnectionOptions {
  /**
   * The host's `pg.Pool` (the store never ends it), or a connection string:
   * then the store creates its own pool with {@link createPostgresPool} and
   * its `close()` ends it.
   */
  readonly pool: PostgresPool | string;
  /** The schema of the tables, as given to {@link migrate}. Default `kraikub`. */
  readonly schema?: string;
  /**
   * How long one statement may take, from the call (waiting for a pooled
   * connection included) to its result, before it fails with
   * `StorageUnavailableError` (core answers 503). A statement that timed out
   * may still have run; its caller issued nothing. Default 2000 ms.
   */
  readonly statementTimeoutMs?: number;
  /**
   * Use named prepared statements (parsed and planned once per connection).
   * Turn off behind a pooler in transaction mode that does not support them
   * (PgBouncer before 1.21). Default true.
   */
  readonly preparedStatements?: boolean;
  /** Called with every error of an idle pooled connection (a restart, a network cut): for logs. */
  readonly onError?: (error: Error) => void;
}

/**
 * Options of {@link createPostgresPool}.
 *
 * @example
 * ```ts
 * import { createPostgresPool, type PostgresPoolOptions } from '@kraikub/adapter-postgres';
 * const options: PostgresPoolOptions = { max: 20, statementTimeoutMs: 1_000 };
 * const pool = createPostgresPool('postgres://kraikub@db.internal/identity', options);
 * ```
 */
export interface PostgresPoolOptions {
  /** Most connections. Default 10. */
  readonly max?: number;
  /**
   * The server-side `statement_timeout` and `lock_timeout` of every
   * connection, and the client's limit on connecting. Default 2000 ms.
   */
  readonly statementTimeoutMs?: number;
  /** Called with every error of an idle connection. Default: ignored (never an unhandled `error` event). */
  readonly onError?: (error: Error) => void;
}

/**
 * A `pg.Pool` with fail-closed settings, to share between the stores (and
 * with the rest of the host): connecting gives up after
 * `statementTimeoutMs`, the server cancels a statement (and a lock wait)
 * that takes longer, and aborts one whose client went away
 * (`client_connection_check_interval`, PostgreSQL 14+ on Linux); an idle
 * connection's error is handled instead of crashing the process. The host
 * ends it (`pool.end()`).
 *
 * @example
 * ```ts
 * import { createPostgresPool, PostgresGrantStore } from '@kraikub/adapter-postgres';
 * const pool = createPostgresPool(process.env.DATABASE_URL ?? 'postgres://localhost/identity', { max: 20 });
 * const grants = new PostgresGrantStore({ pool });
 * process.on('SIGTERM', () => void pool.end());
 * ```
 */
export function createPostgresPool(connectionString: string, options: PostgresPoolOptions = {}): pg.Pool {
  if (typeof connectionString !== 'string' || connectionString === '') {
    throw new TypeError('createPostgresPool: connectionString must be a postgres:// URL');
  }
  const timeout = positiveMs(options.statementTimeoutMs, 2000, 'statementTimeoutMs');
  const max = options.max ?? 10;
  if (!Number.isInteger(max) || max < 1) throw new TypeError('createPostgresPool: max must be >= 1');
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    lock_timeout: timeout,
    idle_in_transaction_session_timeout: 10 * timeout,
    // The server checks every so often, while a statement runs (or waits for a lock), that its
    // client is still there, and aborts the statement when it is not: a statement whose caller
    // gave up (a lost connection) never completes behind its back.
    options: `-c client_connection_check_interval=${Math.max(1, Math.min(1000, Math.floor(timeout / 2)))}`,
    keepAlive: true,
    application_name: 'kraikub',
  });
  pool.on('error', options.onError ?? (() => undefined));
  return pool;
}

/** One statement, as the stores send it. */
export interface Statement {
  /** The operation, for messages. */
  readonly what: string;
  readonly text: string;
  /** The name it is prepared under (unique per text: the schema is part of the text). */
  readonly name: string;
}

/** A small stable hash of a statement's text, for its prepared statement name. */
function nameOf(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return `kraikub_${(h1 >>> 0).toString(36)}${(h2 >>> 0).toString(36)}`;
}

/** Builds the {@link Statement}s of one store. */
export function statement(what: string, text: string): Statement {
  return { what, text, name: nameOf(text) };
}

/**
 * The pool as the stores use it: owned (created from a connection string,
 * ended by `close()`) or the host's; each call one statement.
 */
export class Database {
  readonly pool: PostgresPool;
  readonly schema: string;
  /** The schema as a quoted identifier, for SQL. */
  readonly ident: string;
  readonly timeoutMs: number;
  readonly #owned: boolean;
  readonly #prepared: boolean;
  #closed = false;

  constructor(options: PostgresConnectionOptions, who: string) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${who}: options with a pool (a pg.Pool or a connection string) are required`);
    }
    this.schema = checkSchema(options.schema ?? defaultSchema, who);
    this.ident = quoted(this.schema);
    this.timeoutMs = positiveMs(options.statementTimeoutMs, 2000, 'statementTimeoutMs');
    this.#prepared = options.preparedStatements ?? true;
    const given = options.pool;
    if (typeof given === 'string') {
      this.pool = createPostgresPool(given, {
        statementTimeoutMs: this.timeoutMs,
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      });
      this.#owned = true;
      return;
    }
    if (typeof given?.query !== 'function' || typeof given.on !== 'function') {
      throw new TypeError(`${who}: pool must be a pg.Pool or a connection string`);
    }
    this.pool = given;
    this.#owned = false;
    // An idle client's error is emitted by the pool: with no listener, it would crash the process.
    if (options.onError !== undefined) given.on('error', options.onError);
    else if (given.listenerCount('error') === 0) given.on('error', () => undefined);
  }

  /** Runs one statement; its rows. Every failure is classified (see `errors.ts`). */
  async run(sql: Statement, values: unknown[]): Promise<unknown[]> {
    try {
      const pending = this.pool.query({
        text: sql.text,
        values,
        // pg abandons the statement after this long and drops its connection from the pool.
        query_timeout: this.timeoutMs,
        ...(this.#prepared ? { name: sql.name } : {}),
      });
      // Whatever comes after the timeout has nobody waiting: keep it from being unhandled.
      pending.catch(() => undefined);
      // Also bounds the wait for a pooled connection, which the host's pool may not.
      const result = await withTimeout(pending, this.timeoutMs);
      if (result === timedOut) {
        throw new StorageUnavailableError(`postgres: ${sql.what} timed out after ${this.timeoutMs} ms`);
      }
      if (!Array.isArray(result?.rows))
        throw new CorruptRecordError(`postgres: ${sql.what}: no rows in the result`);
      return result.rows;
    } catch (error) {
      throw storeError(error, sql.what);
    }
  }

  /** Ends the pool if this store created it; a pool the host gave is left alone. */
  async close(): Promise<void> {
    if (!this.#owned || this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }
}

import {
  type ClientRecord,
  type ClientStore,
  type Clock,
  clientRecordSchema,
  type DeleteClientResult,
  type RegisterClientResult,
  systemClock,
  type UpdateClientResult,
} from '@kraikub/core';
import { Database, type PostgresConnectionOptions } from './lib/database.ts';
import { CorruptRecordError } from './lib/errors.ts';
import { oneRow } from './lib/records.ts';
import { clientStatements } from './lib/sql.ts';

/**
 * Options of {@link PostgresClientStore}.
 *
 * @example
 * ```ts
 * import { PostgresClientStore, type PostgresClientStoreOptions } from '@kraikub/adapter-postgres';
 * import pg from 'pg';
 * const options: PostgresClientStoreOptions = {
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
 *   cacheTtlMs: 5_000,
 * };
 * const clients = new PostgresClientStore(options);
 * ```
 */
export interface PostgresClientStoreOptions extends PostgresConnectionOptions {
  /**
   * Keep clients found in this process for this many ms, so a token request
   * costs no round trip for its client. A change made elsewhere (a new
   * secret, a removal) is seen at most this late; changes through this very
   * instance are seen at once. Default 0: no cache.
   */
  readonly cacheTtlMs?: number;
  /** Most clients the cache keeps (the oldest go first). Default 1000. */
  readonly cacheMaxEntries?: number;
  /** The clock of the cache. Default: `Date.now()`. */
  readonly clock?: Clock;
}

function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }) {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || 'client'}: ${issue.message}`);
}

/**
 * A {@link ClientStore} on PostgreSQL, with the write operations (dynamic
 * registration, an admin tool): one row per client in `clients` (the id,
 * the record as JSONB), validated with core's `clientRecordSchema` when
 * written and when read (a row that fails is an error, never a client).
 * Secrets are stored as their SHA-256 only (`secretHash`), as core gives them.
 *
 * `registerClient` is one `INSERT ... ON CONFLICT DO NOTHING`: of concurrent
 * registrations of one id exactly one wins. With `cacheTtlMs`, `findClient`
 * answers from memory for that long.
 *
 * @example
 * ```ts
 * import { PostgresClientStore } from '@kraikub/adapter-postgres';
 * import pg from 'pg';
 * declare const pool: pg.Pool;
 * const clients = new PostgresClientStore({ pool, cacheTtlMs: 5_000 });
 * await clients.registerClient({ id: 'web', name: 'Web', tokenEndpointAuthMethod: 'none',
 *   redirectUris: ['https://app.example.com/cb'], grantTypes: ['authorization_code'], scopes: ['profile'] });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7591
 */
export class PostgresClientStore implements ClientStore {
  readonly #db: Database;
  readonly #sql: ReturnType<typeof clientStatements>;
  readonly #clock: Clock;
  readonly #cacheTtlMs: number;
  readonly #cacheMax: number;
  readonly #cache = new Map<string, { readonly client: ClientRecord; readonly until: number }>();

  constructor(options: PostgresClientStoreOptions) {
    const ttl = options?.cacheTtlMs ?? 0;
    const max = options?.cacheMaxEntries ?? 1000;
    if (!Number.isFinite(ttl) || ttl < 0) throw new TypeError('PostgresClientStore: cacheTtlMs must be >= 0');
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError('PostgresClientStore: cacheMaxEntries must be >= 1');
    }
    this.#db = new Database(options, 'PostgresClientStore');
    this.#sql = clientStatements(this.#db.ident);
    this.#clock = options.clock ?? systemClock;
    this.#cacheTtlMs = ttl;
    this.#cacheMax = max;
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    checkId(clientId);
    const cached = this.#cache.get(clientId);
    if (cached !== undefined) {
      if (cached.until > this.#clock.now()) return cached.client;
      this.#cache.delete(clientId);
    }
    const row = oneRow<{ record: unknown }>(await this.#db.run(this.#sql.find, [clientId]), 'findClient');
    if (row === undefined) return undefined;
    const client = stored(row.record, clientId);
    this.#remember(client);
    return client;
  }

  /** Stores a new client (validated): `exists` when its id is taken, and nothing changes. */
  async registerClient(client: ClientRecord): Promise<RegisterClientResult> {
    const parsed = parse(client);
    const rows = await this.#db.run(this.#sql.register, [parsed.id, JSON.stringify(parsed)]);
    this.#cache.delete(parsed.id);
    return rows.length === 1 ? { status: 'registered' } : { status: 'exists' };
  }

  /** Replaces an existing client (validated): `not_found` when there is none. */
  async updateClient(client: ClientRecord): Promise<UpdateClientResult> {
    const parsed = parse(client);
    const rows = await this.#db.run(this.#sql.update, [parsed.id, JSON.stringify(parsed)]);
    this.#cache.delete(parsed.id);
    return rows.length === 1 ? { status: 'updated' } : { status: 'not_found' };
  }

  async deleteClient(clientId: string): Promise<DeleteClientResult> {
    checkId(clientId);
    this.#cache.delete(clientId);
    const rows = await this.#db.run(this.#sql.delete, [clientId]);
    return rows.length === 1 ? { status: 'deleted' } : { status: 'not_found' };
  }

  /** Every client, by id (administration, never a request path). */
  async listClients(): Promise<ClientRecord[]> {
    const rows = await this.#db.run(this.#sql.list, []);
    return rows.map((row) => {
      const { id, record } = row as { id: string; record: unknown };
      return stored(record, id);
    });
  }

  /**
   * Validates and stores a client, replacing one with the same id: for
   * seeding clients from configuration at start-up (idempotent). A bad
   * registration throws a `TypeError` naming each bad field.
   *
   * @example
   * ```ts
   * import { readFile } from 'node:fs/promises';
   * import type { PostgresClientStore } from '@kraikub/adapter-postgres';
   * declare const clients: PostgresClientStore;
   * await clients.register(JSON.parse(await readFile('client.json', 'utf8')));
   * ```
   */
  async register(client: unknown): Promise<ClientRecord> {
    const parsed = parse(client);
    await this.#db.run(this.#sql.upsert, [parsed.id, JSON.stringify(parsed)]);
    this.#cache.delete(parsed.id);
    return parsed;
  }

  /**
   * Ends the pool if the store created it (from a connection string).
   *
   * @example
   * ```ts
   * import type { PostgresClientStore } from '@kraikub/adapter-postgres';
   * declare const clients: PostgresClientStore;
   * await clients.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#db.close();
  }

  #remember(client: ClientRecord): void {
    if (this.#cacheTtlMs === 0) return;
    if (this.#cache.size >= this.#cacheMax) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(client.id, { client, until: this.#clock.now() + this.#cacheTtlMs });
  }
}

function checkId(clientId: unknown): asserts clientId is string {
  if (typeof clientId !== 'string') throw new TypeError('PostgresClientStore: client id must be a string');
}

function parse(client: unknown): ClientRecord {
  const parsed = clientRecordSchema.safeParse(client);
  if (!parsed.success) {
    throw new TypeError(`Invalid client registration:\n${describeIssues(parsed.error).join('\n')}`);
  }
  return parsed.data;
}

function stored(record: unknown, clientId: string): ClientRecord {
  const parsed = clientRecordSchema.safeParse(record);
  if (!parsed.success || parsed.data.id !== clientId) {
    throw new CorruptRecordError(`postgres: client ${JSON.stringify(clientId)} is not a valid client record`);
  }
  return parsed.data;
}

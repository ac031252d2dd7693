import type pg from 'pg';
import type { AppStore } from './app-store.ts';

/**
 * The app's tables, next to the adapter's schema: values and counters in
 * one table, set members in another, each row with its expiry (ms). Created
 * at start if missing (the adapter's own tables come from its migrations).
 */
export function appTablesSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.app_values (key text PRIMARY KEY, value jsonb NOT NULL, expires_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${schema}.app_members (key text NOT NULL, member text NOT NULL, expires_at bigint NOT NULL, PRIMARY KEY (key, member));
CREATE INDEX IF NOT EXISTS app_values_expiry ON ${schema}.app_values (expires_at);
CREATE INDEX IF NOT EXISTS app_members_expiry ON ${schema}.app_members (expires_at);`;
}

/**
 * {@link AppStore} on PostgreSQL, shared by every provider process: each
 * change is one statement (an upsert, an atomic increment). Expired rows
 * read as absent; `sweep()` deletes them.
 */
export class PostgresAppStore implements AppStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #now: () => number;

  constructor(pool: pg.Pool, schema = 'kraikub', now: () => number = Date.now) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TypeError('PostgresAppStore: bad schema name');
    this.#pool = pool;
    this.#schema = schema;
    this.#now = now;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const { rows } = await this.#pool.query(
      `SELECT value FROM ${this.#schema}.app_values WHERE key = $1 AND expires_at > $2`,
      [key, this.#now()],
    );
    return rows[0]?.value as T | undefined;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#schema}.app_values (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
      [key, JSON.stringify(value), this.#now() + ttlMs],
    );
  }

  async setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    // An expired row is replaced; a live one stays.
    const { rowCount } = await this.#pool.query(
      `INSERT INTO ${this.#schema}.app_values AS v (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
       WHERE v.expires_at <= $4`,
      [key, JSON.stringify(value), now + ttlMs, now],
    );
    return rowCount === 1;
  }

  async delete(key: string): Promise<void> {
    await this.#pool.query(`DELETE FROM ${this.#schema}.app_values WHERE key = $1`, [key]);
  }

  async increment(key: string, windowMs: number): Promise<number> {
    // A live counter counts up; an expired one starts a new window at 1.
    const now = this.#now();
    const { rows } = await this.#pool.query(
      `INSERT INTO ${this.#schema}.app_values AS v (key, value, expires_at) VALUES ($1, '1', $2)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN v.expires_at > $3 THEN to_jsonb((v.value #>> '{}')::bigint + 1) ELSE '1' END,
         expires_at = CASE WHEN v.expires_at > $3 THEN v.expires_at ELSE EXCLUDED.expires_at END
       RETURNING value`,
      [key, now + windowMs, now],
    );
    return Number(rows[0]?.value);
  }

  async addMember(key: string, member: string, ttlMs: number): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#schema}.app_members (key, member, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key, member) DO UPDATE SET expires_at = GREATEST(app_members.expires_at, EXCLUDED.expires_at)`,
      [key, member, this.#now() + ttlMs],
    );
  }

  async removeMember(key: string, member: string): Promise<void> {
    await this.#pool.query(`DELETE FROM ${this.#schema}.app_members WHERE key = $1 AND member = $2`, [
      key,
      member,
    ]);
  }

  async members(key: string): Promise<string[]> {
    const { rows } = await this.#pool.query(
      `SELECT member FROM ${this.#schema}.app_members WHERE key = $1 AND expires_at > $2`,
      [key, this.#now()],
    );
    return rows.map((row) => String(row.member));
  }

  /** Deletes expired rows, at most `limit` per table. */
  async sweep(limit = 1000): Promise<void> {
    const now = this.#now();
    for (const table of ['app_values', 'app_members']) {
      await this.#pool.query(
        `DELETE FROM ${this.#schema}.${table} WHERE ctid IN (SELECT ctid FROM ${this.#schema}.${table} WHERE expires_at <= $1 LIMIT $2)`,
        [now, limit],
      );
    }
  }
}

import { createPostgresPool, type PostgresPool, type PostgresPoolClient } from './lib/database.ts';
import { checkSchema, defaultSchema, quoted } from './lib/identifiers.ts';
import { checksum, type Migration, migrations, versionsTable } from './migrations/index.ts';

/**
 * Options of {@link migrate} and {@link migrationSql}.
 *
 * @example
 * ```ts
 * import { migrate, type MigrateOptions } from '@kraikub/adapter-postgres';
 * const options: MigrateOptions = { schema: 'identity' };
 * await migrate(process.env.DATABASE_URL ?? 'postgres://localhost/identity', options);
 * ```
 */
export interface MigrateOptions {
  /** The schema of the tables (created when missing). Default `kraikub`. */
  readonly schema?: string;
}

/**
 * What {@link migrate} did.
 *
 * @example
 * ```ts
 * import { migrate, type MigrateResult } from '@kraikub/adapter-postgres';
 * declare const pool: import('@kraikub/adapter-postgres').PostgresPool;
 * const result: MigrateResult = await migrate(pool);
 * console.log(`schema ${result.schema} at version ${result.version}, applied now: ${result.applied.join(', ')}`);
 * ```
 */
export interface MigrateResult {
  readonly schema: string;
  /** Versions this call applied (empty when the schema was up to date). */
  readonly applied: readonly number[];
  /** The highest version recorded in the schema afterwards. */
  readonly version: number;
}

/** The newest migration version this package ships. */
export const schemaVersion: number = Math.max(...migrations.map((migration) => migration.version));

/** First key of the advisory lock: "KRAK"; the second is `hashtext(schema)`. */
const lockClass = 0x4b52414b;

/**
 * Creates or upgrades the schema: applies, in order and each in its own
 * transaction, every migration not yet recorded in `<schema>.migrations`.
 *
 * Idempotent, and safe when several processes start at once: it holds a
 * session-level `pg_advisory_lock` (keyed on the schema name) from before
 * the schema is created until the last version is recorded, so a second
 * caller waits, then finds everything applied. A recorded migration whose
 * SQL differs from this package's (an edited release) is an error.
 *
 * `pool` is the host's `pg.Pool` (left open) or a connection string (a pool
 * is created for the call and ended).
 *
 * @example
 * ```ts
 * import { migrate, PostgresGrantStore } from '@kraikub/adapter-postgres';
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await migrate(pool, { schema: 'kraikub' });
 * const grants = new PostgresGrantStore({ pool });
 * ```
 * @see https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
export async function migrate(
  pool: PostgresPool | string,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const schema = checkSchema(options.schema ?? defaultSchema, 'migrate');
  if (typeof pool === 'string') {
    const own = createPostgresPool(pool, { max: 1, statementTimeoutMs: 60_000 });
    try {
      return await migrate(own, options);
    } finally {
      await own.end();
    }
  }
  if (typeof pool?.connect !== 'function') throw new TypeError('migrate: pool must be a pg.Pool or a URL');
  const s = quoted(schema);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [lockClass, schema]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(versionsTable(s));
      const { rows } = await client.query(`SELECT version, checksum FROM ${s}.migrations`);
      const recorded = new Map(
        (rows as { version: number; checksum: string }[]).map((row) => [row.version, row.checksum]),
      );
      const applied: number[] = [];
      for (const migration of migrations) {
        const known = recorded.get(migration.version);
        if (known !== undefined) {
          if (known !== checksum(migration)) {
            throw new Error(
              `migrate: migration ${migration.version} (${migration.name}) in schema ${schema} differs from the one this package ships`,
            );
          }
          continue;
        }
        await apply(client, s, migration);
        applied.push(migration.version);
      }
      const version = Math.max(0, ...recorded.keys(), ...applied);
      return { schema, applied, version };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1, hashtext($2))', [lockClass, schema])
        .catch((error) => {
          broken = error as Error;
        });
    }
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    // A session that failed may still hold the lock or a transaction: drop it rather than reuse it.
    client.release(broken ?? false);
  }
}

async function apply(client: PostgresPoolClient, s: string, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql(s));
    await client.query(`INSERT INTO ${s}.migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
      migration.version,
      migration.name,
      checksum(migration),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The SQL of every migration for `schema`, as one script for teams who run
 * their own migration tool (what the `kraikub-postgres-sql` command
 * prints): the schema, the versions table, then each migration with the row
 * that records it, so {@link migrate} finds them applied later. One
 * transaction; run it once.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { migrationSql } from '@kraikub/adapter-postgres';
 * writeFileSync('V1__kraikub.sql', migrationSql({ schema: 'identity' }));
 * ```
 */
export function migrationSql(options: MigrateOptions = {}): string {
  const schema = checkSchema(options.schema ?? defaultSchema, 'migrationSql');
  const s = quoted(schema);
  const parts = [
    `-- @kraikub/adapter-postgres: schema ${schema}, migrations 1-${schemaVersion}`,
    'BEGIN;',
    `CREATE SCHEMA IF NOT EXISTS ${s};`,
    versionsTable(s),
  ];
  for (const migration of migrations) {
    parts.push(
      `\n-- Migration ${migration.version}: ${migration.name}`,
      migration.sql(s).trim(),
      `INSERT INTO ${s}.migrations (version, name, checksum) VALUES (${migration.version}, '${migration.name}', '${checksum(migration)}');`,
    );
  }
  parts.push('COMMIT;', '');
  return parts.join('\n');
}

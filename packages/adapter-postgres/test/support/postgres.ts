/**
 * The PostgreSQL the tests use: `DATABASE_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test`. When it does not answer, the
 * tests are skipped with a visible message, except under `CI=true`, where
 * that fails the run.
 *
 * Each test file works in a schema of its own with a random name, migrated
 * here and dropped at the end.
 */
import { createServer } from 'node:net';
import pg from 'pg';
import { test } from 'vitest';
import { migrate } from '../../src/index.ts';

const onCi = process.env.CI === 'true';
export const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** True when `databaseUrl` answers `SELECT 1` within 3 s; else a skip message (or, under CI, an error). */
export async function findPostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const absent = `no PostgreSQL at ${databaseUrl} (${(error as Error).message})`;
    if (onCi)
      throw new Error(`adapter-postgres: ${absent}, and under CI=true its tests must run, not be skipped`);
    console.warn(`\n[skipped] adapter-postgres: ${absent}; this test file is skipped\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Registers a visibly skipped test naming why. Call only when {@link findPostgres} said no. */
export function reportSkipped(what: string): void {
  test.skip(`${what}: skipped, no PostgreSQL available (set DATABASE_URL)`, () => {});
}

/** A schema name no other test run shares. */
export function uniqueSchema(name: string): string {
  return `kraikub_test_${name}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A pool on the test database. */
export function testPool(max = 10, extra: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, ...extra });
  pool.on('error', () => undefined);
  return pool;
}

/** A migrated schema of its own, with its pool; `drop()` removes both. */
export interface TestSchema {
  readonly schema: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

export async function testSchema(name: string, max = 10): Promise<TestSchema> {
  const schema = uniqueSchema(name);
  const pool = testPool(max);
  await migrate(pool, { schema });
  return {
    schema,
    pool,
    drop: async () => {
      await dropSchema(schema);
      await pool.end();
    },
  };
}

/** Drops a schema (and everything in it) on a connection of its own. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Empties every table of the schema (the counter row back to 0), between the stores of one file. */
export async function emptySchema(pool: pg.Pool, schema: string): Promise<void> {
  const s = `"${schema}"`;
  await pool.query(
    `WITH a AS (DELETE FROM ${s}.codes), b AS (DELETE FROM ${s}.access_tokens),
      c AS (DELETE FROM ${s}.refresh_tokens), d AS (DELETE FROM ${s}.revoked_grants),
      e AS (DELETE FROM ${s}.interactions), f AS (DELETE FROM ${s}.clients)
     UPDATE ${s}.interaction_count SET pending = 0`,
  );
}

/** Every row of every table of the schema, as JSON text: what an attacker with a backup would see. */
export async function dumpSchema(pool: pg.Pool, schema: string): Promise<string> {
  const { rows: tables } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  const dump: Record<string, unknown[]> = {};
  for (const { table_name } of tables) {
    const { rows } = await pool.query(
      `SELECT row_to_json(t)::text AS row FROM "${schema}"."${table_name}" t`,
    );
    dump[table_name] = rows.map((row) => row.row);
  }
  return JSON.stringify(dump);
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { migrate, migrationSql, PostgresGrantStore, schemaVersion } from '../src/index.ts';
import { dropSchema, findPostgres, reportSkipped, testPool, uniqueSchema } from './support/postgres.ts';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
/** The command as `bin` runs it (from the sources, through tsx). */
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: packageDir });

describe('kraikub-postgres-sql', () => {
  test('--help exits 0 and explains', async () => {
    const { stdout } = await cli('--help');
    expect(stdout).toContain('Usage: kraikub-postgres-sql');
    expect(stdout).toContain('--schema');
  });

  test('prints the SQL with the chosen schema; a bad schema or argument exits 2', async () => {
    const [chosen, byDefault, bad, unknown] = await Promise.allSettled([
      cli('--schema', 'identity'),
      cli(),
      cli('--schema', 'Robert"; DROP'),
      cli('--nope'),
    ]);
    const { stdout } = (chosen as PromiseFulfilledResult<{ stdout: string }>).value;
    expect(stdout).toBe(migrationSql({ schema: 'identity' }));
    expect(stdout).toContain('CREATE TABLE "identity".codes');
    expect(stdout).toContain('CREATE FUNCTION "identity".save_interaction');
    expect(stdout).not.toContain('"kraikub"');
    expect((byDefault as PromiseFulfilledResult<{ stdout: string }>).value.stdout).toContain(
      'CREATE SCHEMA IF NOT EXISTS "kraikub"',
    );
    expect((bad as PromiseRejectedResult).reason).toMatchObject({ code: 2 });
    expect((unknown as PromiseRejectedResult).reason).toMatchObject({ code: 2 });
  });
});

if (!(await findPostgres())) {
  reportSkipped('migrations on PostgreSQL');
} else {
  const pool = testPool(6);
  const schemas: string[] = [];
  const fresh = (name: string) => {
    const schema = uniqueSchema(name);
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
    await pool.end();
  });

  const versions = async (schema: string) =>
    (await pool.query(`SELECT version, name FROM "${schema}".migrations ORDER BY version`)).rows;

  describe('migrate', () => {
    test('creates the schema, records the versions, and a second run changes nothing', async () => {
      const schema = fresh('migrate');
      expect(await migrate(pool, { schema })).toEqual({ schema, applied: [1], version: schemaVersion });
      expect(await migrate(pool, { schema })).toEqual({ schema, applied: [], version: schemaVersion });
      expect(await versions(schema)).toEqual([{ version: 1, name: 'initial' }]);
      const store = new PostgresGrantStore({ pool, schema });
      expect(await store.findAccessToken({ hash: 'x', grantId: 'g' })).toBeUndefined();
    });

    test('run by 5 processes at once (5 connections): each succeeds, each version is applied once', async () => {
      const schema = fresh('concurrent');
      const results = await Promise.all(Array.from({ length: 5 }, () => migrate(pool, { schema })));
      expect(results.map((result) => result.applied.length).sort()).toEqual([0, 0, 0, 0, 1]);
      expect(await versions(schema)).toEqual([{ version: 1, name: 'initial' }]);
    });

    test('from a connection string (its own pool, ended afterwards)', async () => {
      const schema = fresh('url');
      const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
      expect((await migrate(url, { schema })).applied).toEqual([1]);
    });

    test("the CLI's SQL applied by hand: migrate() then finds every version applied", async () => {
      const schema = fresh('cli');
      await pool.query(migrationSql({ schema }));
      expect(await migrate(pool, { schema })).toEqual({ schema, applied: [], version: schemaVersion });
    });

    test('a recorded migration that differs from the shipped one is an error; a bad schema name a TypeError', async () => {
      const schema = fresh('tampered');
      await migrate(pool, { schema });
      await pool.query(`UPDATE "${schema}".migrations SET checksum = 'edited' WHERE version = 1`);
      await expect(migrate(pool, { schema })).rejects.toThrow(/differs/);
      await expect(migrate(pool, { schema: 'Bad-Name' })).rejects.toThrow(TypeError);
      await expect(migrate(pool, { schema: 'pg_catalog' })).rejects.toThrow(TypeError);
    });
  });
}

#!/usr/bin/env node
/**
 * `kraikub-postgres-sql`: prints the SQL of every migration, for teams who
 * run their own migration tool.
 *
 * @module
 */
import { migrationSql, schemaVersion } from './migrate.ts';

const usage = `Usage: kraikub-postgres-sql [--schema NAME]

Prints the SQL that creates the tables and functions of @kraikub/adapter-postgres
(migrations 1-${schemaVersion}) in schema NAME (default: kraikub), as one transaction,
with the rows that record each version in NAME.migrations, so that migrate()
later finds them applied. Feed it to your migration tool, or to psql:

  kraikub-postgres-sql --schema identity > V1__kraikub.sql
  kraikub-postgres-sql | psql "$DATABASE_URL"

Options:
  --schema NAME   the schema (1-63 of [a-z0-9_]); also --schema=NAME
  -h, --help      show this help
`;

function main(args: readonly string[]): number {
  let schema: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(usage);
      return 0;
    }
    if (arg === '--schema' && i + 1 < args.length) schema = args[++i];
    else if (arg.startsWith('--schema=')) schema = arg.slice('--schema='.length);
    else {
      process.stderr.write(`kraikub-postgres-sql: unknown argument ${JSON.stringify(arg)}\n\n${usage}`);
      return 2;
    }
  }
  try {
    process.stdout.write(migrationSql(schema === undefined ? {} : { schema }));
    return 0;
  } catch (error) {
    process.stderr.write(`kraikub-postgres-sql: ${(error as Error).message}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));

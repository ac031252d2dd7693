/**
 * The versioned migrations, in order. A released migration never changes
 * (its checksum is recorded when it is applied); a change of schema is a
 * new version.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { initial } from './001-initial.ts';

/** One migration: its version, a name, and its SQL for a schema (a quoted identifier). */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: (schema: string) => string;
}

/** Every migration, by version. */
export const migrations: readonly Migration[] = [{ version: 1, name: 'initial', sql: initial }];

/** SHA-256 (hex) of a migration's SQL, with a fixed schema name so it does not depend on the schema. */
export function checksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql('"schema"')).digest('hex');
}

/** The table of applied versions, in the schema `s` (a quoted identifier). */
export function versionsTable(s: string): string {
  return `CREATE TABLE IF NOT EXISTS ${s}.migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);`;
}

/**
 * The schema name: checked, then quoted, so it can be spliced into SQL.
 *
 * @module
 */

/** Lower-case letters, digits and `_`, starting with a letter or `_`: what PostgreSQL folds nothing in. */
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** The default schema of every table and function. */
export const defaultSchema = 'kraikub';

/**
 * Checks a schema name (1-63 of `[a-z0-9_]`, not starting with a digit, not
 * `pg_...`) and returns it; a `TypeError` naming `who` otherwise.
 */
export function checkSchema(schema: unknown, who: string): string {
  if (typeof schema !== 'string' || !schemaPattern.test(schema) || schema.startsWith('pg_')) {
    throw new TypeError(
      `${who}: schema must be 1-63 characters of [a-z0-9_], not starting with a digit or pg_ (got ${JSON.stringify(schema)})`,
    );
  }
  return schema;
}

/** A checked schema name as a quoted identifier. */
export function quoted(schema: string): string {
  return `"${schema}"`;
}

/**
 * `@kraikub/adapter-postgres`: `GrantStore`, `InteractionStore` and
 * `ClientStore` for `@kraikub/core` on PostgreSQL, one statement per atomic
 * operation, with versioned migrations (`migrate`, or the
 * `kraikub-postgres-sql` command) and fail-closed errors.
 *
 * @packageDocumentation
 */

export type { PostgresClientStoreOptions } from './client-store.ts';
export { PostgresClientStore } from './client-store.ts';
export type { GrantSweepResult, PostgresGrantStoreOptions } from './grant-store.ts';
export { PostgresGrantStore } from './grant-store.ts';
export type { PostgresInteractionStoreOptions } from './interaction-store.ts';
export { PostgresInteractionStore } from './interaction-store.ts';
export type {
  PostgresConnectionOptions,
  PostgresPool,
  PostgresPoolClient,
  PostgresPoolOptions,
} from './lib/database.ts';
export { createPostgresPool } from './lib/database.ts';
export { CorruptRecordError, PostgresQueryError } from './lib/errors.ts';
export type { SweepOptions } from './lib/sweeper.ts';
export type { MigrateOptions, MigrateResult } from './migrate.ts';
export { migrate, migrationSql, schemaVersion } from './migrate.ts';

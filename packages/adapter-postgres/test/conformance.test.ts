import {
  runClientStoreConformance,
  runInteractionStoreConformance,
  runStoreConformance,
} from '@kraikub/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { PostgresClientStore, PostgresGrantStore, PostgresInteractionStore } from '../src/index.ts';
import { dumpSchema, emptySchema, findPostgres, reportSkipped, testSchema } from './support/postgres.ts';

// The whole contract against a real PostgreSQL, in real time (the statements compare
// with the system clock), through a pool of 20 connections: the 50-way races of the
// suite really race on the server, each call on its own connection as far as they go.
// The grant store runs the suite a second time on the suite's controlled clock.

if (!(await findPostgres())) {
  reportSkipped('GrantStore, InteractionStore and ClientStore conformance on PostgreSQL');
} else {
  const db = await testSchema('conformance', 20);
  afterAll(() => db.drop());
  const { pool, schema } = db;
  const empty = () => emptySchema(pool, schema);

  runStoreConformance({
    name: `PostgresGrantStore (schema ${schema}, pool of 20)`,
    timeMode: 'real',
    describe,
    test,
    expect,
    createStore: ({ clock }) => {
      const store = new PostgresGrantStore({ pool, schema, clock });
      return { store, inspect: () => dumpSchema(pool, schema), close: empty };
    },
  });

  // And with the suite's clock: expiry to the millisecond, and clock jumps in the model run
  // (the other groups do not depend on the clock and ran above).
  runStoreConformance({
    name: `PostgresGrantStore (schema ${schema}, pool of 20)`,
    timeMode: 'controlled',
    skip: ['round-trips', 'concurrent-consumption', 'concurrent-rotation', 'revocation', 'hashed-keys'],
    describe,
    test,
    expect,
    createStore: ({ clock }) => {
      const store = new PostgresGrantStore({ pool, schema, clock });
      return { store, inspect: () => dumpSchema(pool, schema), close: empty };
    },
  });

  runInteractionStoreConformance({
    name: 'PostgresInteractionStore',
    timeMode: 'real',
    describe,
    test,
    expect,
    createStore: ({ clock }) => ({
      store: new PostgresInteractionStore({ pool, schema, clock }),
      close: empty,
    }),
  });

  runClientStoreConformance({
    name: 'PostgresClientStore',
    describe,
    test,
    expect,
    createStore: () => ({ store: new PostgresClientStore({ pool, schema }), close: empty }),
  });
}

import {
  runClientStoreConformance,
  runInteractionStoreConformance,
  runStoreConformance,
} from '@kraikub/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { connectRedis, RedisClientStore, RedisGrantStore, RedisInteractionStore } from '../src/index.ts';
import { findRedis, reportSkipped, uniquePrefix } from './support/redis.ts';

// The whole GrantStore contract against a real Redis: real time (Redis expires
// keys itself with PXAT), 50-way races through Lua scripts, and the model run.
const redis = await findRedis();

if (redis === undefined) {
  reportSkipped('GrantStore conformance: RedisGrantStore (single Redis)');
} else {
  const connection = await connectRedis({ url: redis.url });
  afterAll(async () => {
    await connection.close();
    await redis.stop();
  });

  runStoreConformance({
    name: `RedisGrantStore on ${redis.url}`,
    timeMode: 'real',
    describe,
    test,
    expect,
    createStore: () => {
      const store = new RedisGrantStore({ connection, prefix: uniquePrefix('conformance') });
      return { store, inspect: () => store.dump(), close: async () => void (await store.deleteAll()) };
    },
  });

  runInteractionStoreConformance({
    name: 'RedisInteractionStore on a single Redis',
    timeMode: 'real',
    describe,
    test,
    expect,
    createStore: ({ clock }) => {
      const prefix = uniquePrefix('interactions');
      const redis = connection;
      return {
        store: new RedisInteractionStore({ connection: redis, prefix, clock }),
        close: async () => {
          for (const key of await redis.scan(`${prefix}*`)) await redis.command(['DEL', key], { key });
        },
      };
    },
  });

  runClientStoreConformance({
    name: 'RedisClientStore on a single Redis',
    describe,
    test,
    expect,
    createStore: () => {
      const prefix = uniquePrefix('clients');
      return {
        store: new RedisClientStore({ connection, prefix }),
        close: async () => {
          for (const key of await connection.scan(`${prefix}*`))
            await connection.command(['DEL', key], { key });
        },
      };
    },
  });
}

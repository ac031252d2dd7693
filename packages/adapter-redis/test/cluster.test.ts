import { runInteractionStoreConformance, runStoreConformance } from '@kraikub/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectRedis, type RedisConnection, RedisGrantStore, RedisInteractionStore } from '../src/index.ts';
import {
  type RedisClusterServers,
  redisServerOrSkip,
  reportSkipped,
  startCluster,
  uniquePrefix,
} from './support/redis.ts';

// The whole GrantStore contract again, on a real 3-master Redis Cluster started
// here on loopback ports: proves every script stays inside one hash slot.
if (!redisServerOrSkip('the Redis Cluster conformance run')) {
  reportSkipped('GrantStore conformance: RedisGrantStore (Redis Cluster)');
} else {
  let cluster: RedisClusterServers | undefined;
  let connection: RedisConnection | undefined;

  beforeAll(async () => {
    cluster = await startCluster();
    connection = await connectRedis({ cluster: [...cluster.urls] });
  }, 60_000);

  afterAll(async () => {
    await connection?.close();
    await cluster?.stop();
  });

  describe('Redis Cluster', () => {
    test('keys of one grant share a slot, and grants spread over the 3 masters', async () => {
      const redis = connection as RedisConnection;
      const store = new RedisGrantStore({ connection: redis, prefix: uniquePrefix('cluster-spread') });
      const { mintToken, newGrantId, webCrypto } = await import('@kraikub/core');
      const now = Date.now();
      for (let i = 0; i < 30; i++) {
        const grantId = newGrantId(webCrypto);
        const access = await mintToken(webCrypto, 'access_token', grantId);
        const record = { grantId, clientId: 'c', scopes: ['a'], issuedAt: now, expiresAt: now + 60_000 };
        await store.issueTokens({ grantId, accessToken: { key: access.key, record } });
      }
      const keys = await redis.scan(`${store.prefix}{*`);
      const slotsOfGrant = new Map<string, Set<number>>();
      for (const key of keys) {
        const tag = /\{([^}]+)\}/.exec(key)?.[1] ?? '';
        const slot = Number(await redis.command(['CLUSTER', 'KEYSLOT', key], { key }));
        slotsOfGrant.set(tag, (slotsOfGrant.get(tag) ?? new Set()).add(slot));
      }
      expect(slotsOfGrant.size, 'grants').toBe(30);
      for (const slots of slotsOfGrant.values()) expect(slots.size, 'slots of one grant').toBe(1);
      // Which master serves each grant's slot: with 30 random grant ids, more than one.
      const ranges = (await redis.command(['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
      const masters = new Set<number>();
      for (const slots of slotsOfGrant.values()) {
        const [slot] = [...slots];
        const range = ranges.find(([from, to]) => (slot as number) >= from && (slot as number) <= to);
        masters.add(Number(range?.[2][1]));
      }
      expect(ranges.length, 'slot ranges').toBe(3);
      expect(masters.size, 'masters holding grants').toBeGreaterThan(1);
      await store.deleteAll();
    });
  });

  runStoreConformance({
    name: 'RedisGrantStore on a 3-master Redis Cluster',
    timeMode: 'real',
    describe,
    test,
    expect,
    createStore: () => {
      const store = new RedisGrantStore({
        connection: connection as RedisConnection,
        prefix: uniquePrefix('cluster'),
      });
      return { store, inspect: () => store.dump(), close: async () => void (await store.deleteAll()) };
    },
  });

  runInteractionStoreConformance({
    name: 'RedisInteractionStore on a 3-master Redis Cluster',
    timeMode: 'real',
    describe,
    test,
    expect,
    createStore: ({ clock }) => {
      const prefix = uniquePrefix('interactions');
      const redis = connection as RedisConnection;
      return {
        store: new RedisInteractionStore({ connection: redis, prefix, clock }),
        close: async () => {
          for (const key of await redis.scan(`${prefix}*`)) await redis.command(['DEL', key], { key });
        },
      };
    },
  });
}

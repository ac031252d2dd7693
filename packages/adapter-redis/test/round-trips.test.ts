import { MemoryInteractionStore } from '@kraikub/adapter-memory';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  connectRedis,
  RedisClientStore,
  RedisConnection,
  type RedisConnectionOptions,
  RedisGrantStore,
} from '../src/index.ts';
import {
  clientRegistration,
  exchangeParams,
  issueCode,
  post,
  type TestProvider,
  testProvider,
} from './support/flow.ts';
import { findRedis, type RedisTarget, reportSkipped, uniquePrefix } from './support/redis.ts';

/** Counts the commands (round trips: each store call is one command, awaited) sent through it. */
class CountingConnection extends RedisConnection {
  readonly sent: string[] = [];

  override async command(
    args: readonly string[],
    options?: { readonly key?: string; readonly readOnly?: boolean },
  ): Promise<unknown> {
    this.sent.push(args[0] ?? '');
    return super.command(args, options);
  }
}

/** Redis' own view: MONITOR lines of commands on our prefix, from clients (not from inside scripts). */
async function monitor(url: string, prefix: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  const lines: string[] = [];
  await client.monitor((line) => {
    if (line.includes(prefix) && !/\[\d+ lua\]/.test(line)) lines.push(line);
  });
  return {
    /** The commands seen since the last call, once MONITOR caught up. */
    async take(): Promise<string[]> {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return lines.splice(0).map((line) => /"([A-Z]+)"/.exec(line)?.[1] ?? line);
    },
    close: () => client.destroy(),
  };
}

const redis: RedisTarget | undefined = await findRedis();

if (redis === undefined) {
  reportSkipped('round trips and memory per grant');
} else {
  const prefix = uniquePrefix('round-trips');
  let connection: CountingConnection;
  let grants: RedisGrantStore;
  let provider: TestProvider;
  let redisClients: RedisClientStore;

  beforeAll(async () => {
    const base = await connectRedis({ url: redis.url });
    const options: RedisConnectionOptions = { commandTimeoutMs: base.commandTimeoutMs };
    connection = new CountingConnection(base.client, options);
    grants = new RedisGrantStore({ connection, prefix });
    redisClients = new RedisClientStore({ connection, prefix });
    await redisClients.register(await clientRegistration());
    provider = await testProvider({ grants, interactions: new MemoryInteractionStore() });
    // Warm-up: the first use of each script may cost a NOSCRIPT and an EVAL.
    await fullFlow(provider);
  });

  afterAll(async () => {
    await grants?.deleteAll();
    await redisClients?.remove('app');
    await connection?.close();
    await redis.stop();
  });

  /** Exchange, refresh, introspect; the commands each step sent. */
  async function fullFlow(p: TestProvider) {
    const { code, verifier } = await issueCode(p.server);
    connection.sent.length = 0;
    const exchanged = await p.handler(post('/token', exchangeParams(code, verifier)));
    const exchange = connection.sent.splice(0);
    expect(exchanged.status).toBe(200);
    const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };

    const refreshed = await p.handler(
      post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    );
    const refresh = connection.sent.splice(0);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string };

    const introspected = await p.handler(post('/introspect', { token: next.access_token }));
    const introspection = connection.sent.splice(0);
    expect(await introspected.json()).toMatchObject({ active: true });
    return { exchange, refresh, introspection, tokens, next };
  }

  describe('round trips (DESIGN section 3 goal: 2 per exchange and per refresh, 1 per introspection)', () => {
    test('code exchange 2, refresh 2, introspection 1: counted by the connection and by MONITOR', async () => {
      const seen = await monitor(redis.url, prefix);
      try {
        await seen.take();
        const { exchange, refresh, introspection } = await fullFlow(provider);
        expect(exchange, 'code exchange: findCode, consumeCode').toEqual(['MGET', 'EVALSHA']);
        expect(refresh, 'refresh: findRefreshToken, rotateRefreshToken').toEqual(['MGET', 'EVALSHA']);
        expect(introspection, 'introspection: findAccessToken').toEqual(['MGET']);
        // Redis saw exactly these (the issueCode setup above it: one EVALSHA for saveCode).
        expect(await seen.take()).toEqual(['EVALSHA', 'MGET', 'EVALSHA', 'MGET', 'EVALSHA', 'MGET']);
      } finally {
        seen.close();
      }
    });

    test('clients from Redis: one more GET per request without a cache, none with a warm cache', async () => {
      const uncached = await testProvider({
        grants,
        clients: new RedisClientStore({ connection, prefix }),
        interactions: new MemoryInteractionStore(),
      });
      const cold = await fullFlow(uncached);
      expect(cold.exchange).toEqual(['GET', 'MGET', 'EVALSHA']);
      expect(cold.refresh).toEqual(['GET', 'MGET', 'EVALSHA']);
      expect(cold.introspection).toEqual(['GET', 'MGET']);

      const cached = await testProvider({
        grants,
        clients: new RedisClientStore({ connection, prefix, cacheTtlMs: 60_000 }),
        interactions: new MemoryInteractionStore(),
      });
      await fullFlow(cached);
      const warm = await fullFlow(cached);
      expect(warm.exchange).toEqual(['MGET', 'EVALSHA']);
      expect(warm.refresh).toEqual(['MGET', 'EVALSHA']);
      expect(warm.introspection).toEqual(['MGET']);
    });

    test('a script the server lost (SCRIPT FLUSH, as after a restart) is sent again once with EVAL', async () => {
      await connection.command(['SCRIPT', 'FLUSH']);
      const { exchange } = await fullFlow(provider);
      expect(exchange).toEqual(['MGET', 'EVALSHA', 'EVAL']);
      const again = await fullFlow(provider);
      expect(again.exchange).toEqual(['MGET', 'EVALSHA']);
    });
  });

  describe('memory per grant (MEMORY USAGE summed over the keys of one grant)', () => {
    async function grantMemory(grantId: string) {
      const keys = await connection.scan(`${prefix}{${grantId}}*`);
      let bytes = 0;
      for (const key of keys) {
        bytes += Number(await connection.command(['MEMORY', 'USAGE', key, 'SAMPLES', '0'], { key }));
      }
      return { keys: keys.length, bytes };
    }

    test('an active grant after the exchange, and after one refresh', async () => {
      const { code, verifier } = await issueCode(provider.server);
      const exchanged = await provider.handler(post('/token', exchangeParams(code, verifier)));
      const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };
      const grantId = tokens.access_token.slice(4, tokens.access_token.indexOf('.'));
      const afterExchange = await grantMemory(grantId);
      await provider.handler(
        post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
      );
      const afterRefresh = await grantMemory(grantId);
      expect((await provider.server.revokeGrant(grantId)).isOk()).toBe(true);
      const afterRevoke = await grantMemory(grantId);
      console.info(
        `memory per grant: after exchange ${afterExchange.bytes} B in ${afterExchange.keys} keys; ` +
          `after one refresh ${afterRefresh.bytes} B in ${afterRefresh.keys} keys; ` +
          `revoked ${afterRevoke.bytes} B in ${afterRevoke.keys} key`,
      );
      // code tombstone, access, refresh, index; then a rotated refresh, new access and refresh.
      expect(afterExchange.keys).toBe(4);
      expect(afterRefresh.keys).toBe(6);
      expect(afterRevoke.keys, 'only the tombstone').toBe(1);
      expect(afterExchange.bytes).toBeLessThan(3_000);
      expect(afterRefresh.bytes).toBeLessThan(5_000);
    });
  });
}

import { MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  type CodeRecord,
  type InteractionRecord,
  mintToken,
  newGrantId,
  StorageUnavailableError,
  type TokenIssue,
  webCrypto,
} from '@kraikub/core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CorruptRecordError,
  connectRedis,
  RedisClientStore,
  RedisConnection,
  RedisGrantStore,
  RedisInteractionStore,
  RedisReplyError,
} from '../src/index.ts';
import { clientRegistration, exchangeParams, issueCode, post, testProvider } from './support/flow.ts';
import { findRedis, freePort, type RedisTarget, reportSkipped, uniquePrefix } from './support/redis.ts';

const redis: RedisTarget | undefined = await findRedis();

async function tokens(grantId: string, ttl = { access: 60_000, refresh: 120_000 }) {
  const now = Date.now();
  const access = await mintToken(webCrypto, 'access_token', grantId);
  const refresh = await mintToken(webCrypto, 'refresh_token', grantId);
  const base = { grantId, clientId: 'app', scopes: ['profile'], issuedAt: now, subject: 'alice' };
  const issue: TokenIssue = {
    grantId,
    accessToken: { key: access.key, record: { ...base, expiresAt: now + ttl.access } },
    refreshToken: { key: refresh.key, record: { ...base, expiresAt: now + ttl.refresh } },
  };
  return { access, refresh, issue };
}

async function code(grantId: string, ttl = 30_000) {
  const now = Date.now();
  const token = await mintToken(webCrypto, 'code', grantId);
  const record: CodeRecord = {
    grantId,
    clientId: 'app',
    scopes: ['profile'],
    issuedAt: now,
    expiresAt: now + ttl,
    subject: 'alice',
    redirectUri: 'https://client.example/callback',
    redirectUriProvided: true,
  };
  return { token, record };
}

describe('options are checked', () => {
  test('a prefix with braces, a missing connection, a client with keyPrefix: TypeError', () => {
    const fake = {
      sendCommand: async () => null,
      on: () => undefined,
      listenerCount: () => 1,
      close: async () => undefined,
      destroy: () => undefined,
      isReady: true,
    };
    const connection = new RedisConnection(fake);
    expect(() => new RedisGrantStore({ connection, prefix: 'a{b}:' })).toThrow(TypeError);
    expect(() => new RedisInteractionStore({ connection, prefix: '{x' })).toThrow(TypeError);
    expect(() => new RedisClientStore({ connection, cacheTtlMs: -1 })).toThrow(TypeError);
    expect(() => new RedisGrantStore({} as never)).toThrow(TypeError);
    expect(() => new RedisConnection({ ...fake, _keyPrefix: 'x:' } as never)).toThrow(/keyPrefix/);
    expect(() => new RedisConnection(fake, { commandTimeoutMs: 0 })).toThrow(TypeError);
  });

  test('connectRedis without url or cluster: TypeError', async () => {
    await expect(connectRedis({})).rejects.toThrow(TypeError);
  });

  test('an unexpected script reply is an error, never a result', async () => {
    const connection = new RedisConnection({
      sendCommand: async () => ['surprise'],
      on: () => undefined,
      listenerCount: () => 1,
      close: async () => undefined,
      destroy: () => undefined,
      isReady: true,
    });
    const store = new RedisGrantStore({ connection });
    const grantId = newGrantId(webCrypto);
    const { token } = await code(grantId);
    const { issue } = await tokens(grantId);
    await expect(store.consumeCode(token.key, issue)).rejects.toThrow(CorruptRecordError);
    await expect(store.issueTokens(issue)).rejects.toThrow(CorruptRecordError);
    await expect(store.findCode(token.key)).rejects.toThrow(CorruptRecordError);
  });
});

describe('connection failures are StorageUnavailableError', () => {
  test('connectRedis to a port nobody listens on rejects within startupTimeoutMs', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(
      connectRedis({ url: `redis://127.0.0.1:${port}`, startupTimeoutMs: 500 }),
    ).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

if (redis === undefined) {
  reportSkipped('RedisGrantStore, RedisInteractionStore and RedisClientStore on a real Redis');
} else {
  const prefix = uniquePrefix('stores');
  let connection: RedisConnection;
  let grants: RedisGrantStore;

  beforeAll(async () => {
    connection = await connectRedis({ url: redis.url });
    grants = new RedisGrantStore({ connection, prefix });
  });

  afterAll(async () => {
    for (const key of await connection.scan(`${prefix}*`)) await connection.command(['DEL', key], { key });
    await connection.close();
    await redis.stop();
  });

  const pttl = async (key: string) => Number(await connection.command(['PTTL', key], { key }));

  describe('RedisGrantStore keys', () => {
    test('every key expires with its record; the index lives as long as the longest record', async () => {
      const grantId = newGrantId(webCrypto);
      const c = await code(grantId, 30_000);
      await grants.saveCode(c.token.key, c.record);
      const { issue } = await tokens(grantId, { access: 60_000, refresh: 120_000 });
      expect(await grants.consumeCode(c.token.key, issue)).toMatchObject({ status: 'consumed' });
      const base = `${prefix}{${grantId}}:`;
      const keys = (await connection.scan(`${base}*`)).sort();
      expect(keys).toEqual(
        [
          `${base}a:${issue.accessToken.key.hash}`,
          `${base}c:${c.token.key.hash}`,
          `${base}keys`,
          `${base}r:${issue.refreshToken?.key.hash}`,
        ].sort(),
      );
      // The consumed code keeps its own expiry (a tombstone), the tokens theirs.
      const near = (ms: number, expected: number) => expect(Math.abs(ms - expected)).toBeLessThan(2_000);
      near(await pttl(`${base}c:${c.token.key.hash}`), 30_000);
      near(await pttl(`${base}a:${issue.accessToken.key.hash}`), 60_000);
      near(await pttl(`${base}r:${issue.refreshToken?.key.hash}`), 120_000);
      near(await pttl(`${base}keys`), 120_000);
      // No raw token, no secret: only hashes in key names and values.
      const dump = await grants.dump();
      expect(dump).not.toContain(c.token.value.split('.')[1]);
    });

    test('revokeGrant deletes every key of the grant and keeps a tombstone until retainUntil', async () => {
      const grantId = newGrantId(webCrypto);
      const c = await code(grantId);
      await grants.saveCode(c.token.key, c.record);
      const { issue } = await tokens(grantId);
      await grants.issueTokens(issue);
      await grants.revokeGrant(grantId, Date.now() + 90_000);
      const base = `${prefix}{${grantId}}:`;
      expect(await connection.scan(`${base}*`)).toEqual([`${base}revoked`]);
      expect(Math.abs((await pttl(`${base}revoked`)) - 90_000)).toBeLessThan(2_000);
      // A shorter retention never shortens the tombstone.
      await grants.revokeGrant(grantId, Date.now() + 10_000);
      expect(await pttl(`${base}revoked`)).toBeGreaterThan(80_000);
      expect(await grants.issueTokens((await tokens(grantId)).issue)).toEqual({ status: 'grant_revoked' });
    });

    test('a store whose clock is ahead of Redis sees a record Redis still keeps as expired', async () => {
      const ahead = new RedisGrantStore({ connection, prefix, clock: { now: () => Date.now() + 60_000 } });
      const grantId = newGrantId(webCrypto);
      const c = await code(grantId, 30_000);
      await grants.saveCode(c.token.key, c.record);
      expect(await grants.findCode(c.token.key)).toEqual({ record: c.record, consumed: false });
      expect(await ahead.findCode(c.token.key)).toBeUndefined();
      expect(await ahead.consumeCode(c.token.key, (await tokens(grantId)).issue)).toEqual({
        status: 'not_found',
      });
    });

    test('a grant id that cannot be a hash tag: finds are undefined, writes are a TypeError', async () => {
      const key = { grantId: 'a}b{', hash: 'x' };
      expect(await grants.findAccessToken(key)).toBeUndefined();
      await expect(grants.revokeGrant('', Date.now() + 1000)).rejects.toThrow(TypeError);
      const { issue } = await tokens(newGrantId(webCrypto));
      await expect(grants.issueTokens({ ...issue, grantId: newGrantId(webCrypto) })).rejects.toThrow(
        TypeError,
      );
    });
  });

  describe('errors reach core as 5xx, and nothing is issued', () => {
    test('a foreign value under a code key: findCode throws, the token endpoint answers 500', async () => {
      const provider = await testProvider({ grants, interactions: new MemoryInteractionStore() });
      const { code: value, verifier } = await issueCode(provider.server);
      const grantId = value.slice(4, value.indexOf('.'));
      const [codeKey] = await connection.scan(`${prefix}{${grantId}}:c:*`);
      await connection.command(['SET', codeKey as string, 'garbage', 'PX', '60000'], {
        key: codeKey as string,
      });
      const response = await provider.handler(post('/token', exchangeParams(value, verifier)));
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: 'server_error' });
      expect(await connection.scan(`${prefix}{${grantId}}:a:*`)).toEqual([]);
    });

    test('a WRONGTYPE reply is a RedisReplyError (server_error), and the failed script wrote nothing', async () => {
      const grantId = newGrantId(webCrypto);
      const c = await code(grantId);
      await grants.saveCode(c.token.key, c.record);
      const { issue } = await tokens(grantId);
      const index = `${prefix}{${grantId}}:keys`;
      await connection.command(['SET', index, 'not a sorted set', 'PX', '60000'], { key: index });
      await expect(grants.issueTokens(issue)).rejects.toBeInstanceOf(RedisReplyError);
      await expect(grants.consumeCode(c.token.key, issue)).rejects.toBeInstanceOf(RedisReplyError);
      // Redis has no rollback: the scripts fail before their first write, so nothing is half-done.
      expect(await grants.findAccessToken(issue.accessToken.key)).toBeUndefined();
      expect(await grants.findCode(c.token.key)).toEqual({ record: c.record, consumed: false });
    });

    test('a closed connection is StorageUnavailableError: the token endpoint answers 503', async () => {
      const closed = await connectRedis({ url: redis.url });
      await closed.close();
      const store = new RedisGrantStore({ connection: closed, prefix });
      const provider = await testProvider({ grants: store, interactions: new MemoryInteractionStore() });
      await expect(store.findCode({ grantId: newGrantId(webCrypto), hash: 'x' })).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      const response = await provider.handler(
        post('/token', { grant_type: 'authorization_code', code: 'kbc_x' }),
      );
      // A malformed code never reaches the store; a well-formed one does, and gets 503.
      expect(response.status).toBe(400);
      const live = await testProvider({ grants, interactions: new MemoryInteractionStore() });
      const { code: value, verifier } = await issueCode(live.server);
      const failing = await provider.handler(post('/token', exchangeParams(value, verifier)));
      expect(failing.status).toBe(503);
      expect(await failing.json()).toMatchObject({ error: 'temporarily_unavailable' });
    });
  });

  describe('RedisInteractionStore', () => {
    const record = (ttl: number): InteractionRecord => ({
      createdAt: Date.now(),
      expiresAt: Date.now() + ttl,
      request: {
        responseType: 'code',
        client: { id: 'app', name: 'Test App' } as InteractionRecord['request']['client'],
        redirectUri: 'https://client.example/callback',
        redirectUriProvided: true,
        scopes: ['profile'],
        state: 'ผู้ใช้ "x"',
        codeChallenge: undefined,
        codeChallengeMethod: undefined,
      },
    });

    const roomy = { total: 1000, perSource: 1000 };

    test('saved, found, consumed exactly once even by 20 racing consumers, with PXAT', async () => {
      const store = new RedisInteractionStore({ connection, prefix });
      const saved = record(60_000);
      await store.saveInteraction('k1', saved, roomy);
      expect(await store.findInteraction('k1')).toEqual(saved);
      expect(Math.abs((await pttl(`${prefix}{interactions}:i:k1`)) - 60_000)).toBeLessThan(2_000);
      const takes = await Promise.all(Array.from({ length: 20 }, () => store.consumeInteraction('k1')));
      expect(takes.filter((taken) => taken !== undefined)).toEqual([saved]);
      expect(await store.findInteraction('k1')).toBeUndefined();
    });

    test('the counting sets expire with their last interaction, and consuming empties them', async () => {
      const store = new RedisInteractionStore({ connection, prefix });
      const source = 'c291cmNl';
      await store.saveInteraction('k3', { ...record(30_000), source }, roomy);
      expect(Math.abs((await pttl(`${prefix}{interactions}:source:${source}`)) - 30_000)).toBeLessThan(2_000);
      await store.consumeInteraction('k3');
      const left = await connection.command(['ZCARD', `${prefix}{interactions}:source:${source}`]);
      expect(left).toBe(0);
    });

    test('nothing expired is returned', async () => {
      const store = new RedisInteractionStore({ connection, prefix });
      await store.saveInteraction('old', record(-1), roomy);
      expect(await store.findInteraction('old')).toBeUndefined();
      const later = new RedisInteractionStore({
        connection,
        prefix,
        clock: { now: () => Date.now() + 120_000 },
      });
      await store.saveInteraction('k2', record(60_000), roomy);
      expect(await later.findInteraction('k2')).toBeUndefined();
      expect(await later.consumeInteraction('k2')).toBeUndefined();
    });
  });

  describe('RedisClientStore', () => {
    test('register validates, findClient returns the record, remove deletes it', async () => {
      const clients = new RedisClientStore({ connection, prefix });
      const registration = await clientRegistration();
      await expect(
        clients.register({ ...registration, redirectUris: ['http://evil.example/cb'] }),
      ).rejects.toThrow(TypeError);
      const stored = await clients.register(registration);
      expect(await clients.findClient('app')).toEqual(stored);
      expect(await clients.findClient('nobody')).toBeUndefined();
      expect(await clients.remove('app')).toBe(true);
      expect(await clients.findClient('app')).toBeUndefined();
    });

    test('a stored client that fails the schema is an error, never a client', async () => {
      const clients = new RedisClientStore({ connection, prefix });
      const key = `${prefix}client:broken`;
      await connection.command(['SET', key, JSON.stringify({ id: 'broken', name: 'x' })], { key });
      await expect(clients.findClient('broken')).rejects.toThrow(CorruptRecordError);
    });

    test('the cache keeps a found client for cacheTtlMs; its own writes are seen at once', async () => {
      let now = Date.now();
      const clock = { now: () => now };
      const cached = new RedisClientStore({ connection, prefix, cacheTtlMs: 5_000, clock });
      const other = new RedisClientStore({ connection, prefix });
      const registration = { ...(await clientRegistration()), id: 'cached' };
      await other.register(registration);
      expect((await cached.findClient('cached'))?.name).toBe('Test App');
      await other.register({ ...registration, name: 'Renamed' });
      expect((await cached.findClient('cached'))?.name, 'within the TTL').toBe('Test App');
      now += 5_001;
      expect((await cached.findClient('cached'))?.name, 'after the TTL').toBe('Renamed');
      await cached.remove('cached');
      expect(await cached.findClient('cached')).toBeUndefined();
    });
  });

  describe('RedisConnection', () => {
    test('wraps a node-redis client built elsewhere, and adds an error listener when it has none', async () => {
      const client = createClient({ url: redis.url, disableOfflineQueue: true });
      await client.connect();
      expect(client.listenerCount('error')).toBe(0);
      const wrapped = new RedisConnection(client);
      expect(client.listenerCount('error')).toBe(1);
      expect(await wrapped.command(['PING'])).toBe('PONG');
      await wrapped.close();
      await expect(wrapped.command(['PING'])).rejects.toBeInstanceOf(StorageUnavailableError);
    });
  });
}

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
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CorruptRecordError,
  createPostgresPool,
  PostgresClientStore,
  PostgresGrantStore,
  PostgresInteractionStore,
  type PostgresPool,
  PostgresQueryError,
} from '../src/index.ts';
import { storeError } from '../src/lib/errors.ts';
import { clientRegistration, exchangeParams, issueCode, post, testProvider } from './support/flow.ts';
import {
  databaseUrl,
  findPostgres,
  freePort,
  reportSkipped,
  type TestSchema,
  testSchema,
} from './support/postgres.ts';

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

/** A pool that answers every statement with `rows`. */
function fakePool(rows: unknown[]): PostgresPool {
  return {
    query: async () => ({ rows, rowCount: rows.length }),
    connect: async () => {
      throw new Error('not here');
    },
    on: () => undefined,
    listenerCount: () => 1,
    end: async () => undefined,
  };
}

/** An error as node-postgres builds one from a server's ErrorResponse. */
const serverError = (code: string) =>
  Object.assign(new Error(`server says ${code}`), { code, severity: 'ERROR' });

describe('options are checked', () => {
  test('a bad schema, no pool, bad timeouts or cache options: TypeError', () => {
    const pool = fakePool([]);
    expect(() => new PostgresGrantStore({ pool, schema: 'Bad-Name' })).toThrow(TypeError);
    expect(() => new PostgresGrantStore({ pool, schema: 'pg_temp' })).toThrow(TypeError);
    expect(() => new PostgresGrantStore({} as never)).toThrow(TypeError);
    expect(() => new PostgresGrantStore(undefined as never)).toThrow(TypeError);
    expect(() => new PostgresGrantStore({ pool, statementTimeoutMs: 0 })).toThrow(TypeError);
    expect(() => new PostgresGrantStore({ pool, sweepIntervalMs: -1 })).toThrow(TypeError);
    expect(() => new PostgresInteractionStore({ pool: 42 as never })).toThrow(TypeError);
    expect(() => new PostgresClientStore({ pool, cacheTtlMs: -1 })).toThrow(TypeError);
    expect(() => new PostgresClientStore({ pool, cacheMaxEntries: 0 })).toThrow(TypeError);
    expect(() => createPostgresPool('')).toThrow(TypeError);
  });

  test('tokens of another grant, a non-finite expiry: TypeError before any statement', async () => {
    const store = new PostgresGrantStore({ pool: fakePool([]) });
    const grantId = newGrantId(webCrypto);
    const { issue } = await tokens(grantId);
    await expect(store.issueTokens({ ...issue, grantId: newGrantId(webCrypto) })).rejects.toThrow(TypeError);
    const c = await code(grantId);
    await expect(store.saveCode(c.token.key, { ...c.record, expiresAt: Number.NaN })).rejects.toThrow(
      TypeError,
    );
    await expect(store.revokeGrant(grantId, Number.POSITIVE_INFINITY)).rejects.toThrow(TypeError);
  });
});

describe('errors are classified: 503 for "not now", 500 for the rest, never a token', () => {
  test('SQLSTATEs of unavailability are StorageUnavailableError; others PostgresQueryError', () => {
    for (const code of [
      '57P01',
      '57P02',
      '57P03',
      '08006',
      '08001',
      '53300',
      '53200',
      '57014',
      '55P03',
      '40001',
      '40P01',
      '25006',
    ]) {
      expect(storeError(serverError(code), 'x'), code).toBeInstanceOf(StorageUnavailableError);
    }
    for (const code of ['23505', '42P01', '22P02', '42501', 'XX000']) {
      const error = storeError(serverError(code), 'x');
      expect(error, code).toBeInstanceOf(PostgresQueryError);
      expect((error as PostgresQueryError).code).toBe(code);
    }
  });

  test('socket and driver failures are StorageUnavailableError; anything else PostgresQueryError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    for (const error of [
      refused,
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Query read timeout'),
      new Error('Cannot use a pool after calling end on the pool'),
    ]) {
      expect(storeError(error, 'x'), error.message).toBeInstanceOf(StorageUnavailableError);
    }
    expect(storeError(new Error('something else'), 'x')).toBeInstanceOf(PostgresQueryError);
    expect(storeError(new TypeError('bad value'), 'x')).toBeInstanceOf(PostgresQueryError);
  });

  test('a result no statement returns is a CorruptRecordError, never a result', async () => {
    const grantId = newGrantId(webCrypto);
    const c = await code(grantId);
    const { issue, access } = await tokens(grantId);
    const weird = new PostgresGrantStore({
      pool: fakePool([{ consumed: 'yes', record: null, rotated: 1, issued: 'x' }]),
    });
    await expect(weird.consumeCode(c.token.key, issue)).rejects.toThrow(CorruptRecordError);
    await expect(weird.issueTokens(issue)).rejects.toThrow(CorruptRecordError);
    await expect(weird.findCode(c.token.key)).rejects.toThrow(CorruptRecordError);
    const { rotation, next } = {
      rotation: { rotatedAt: 1, successor: access.key, accessScopes: [], accessExpiresAt: 2 },
      next: issue,
    };
    await expect(weird.rotateRefreshToken(issue.refreshToken?.key as never, rotation, next)).rejects.toThrow(
      CorruptRecordError,
    );
    const two = new PostgresGrantStore({ pool: fakePool([{ record: {} }, { record: {} }]) });
    await expect(two.findAccessToken(access.key)).rejects.toThrow(CorruptRecordError);
    // A record of another grant under this key: an error, not a token.
    const foreign = new PostgresGrantStore({
      pool: fakePool([{ record: { ...issue.accessToken.record, grantId: 'other' } }]),
    });
    await expect(foreign.findAccessToken(access.key)).rejects.toThrow(CorruptRecordError);
    const interactions = new PostgresInteractionStore({ pool: fakePool([{ status: 7 }]) });
    await expect(
      interactions.saveInteraction(
        'k',
        { request: {}, createdAt: 0, expiresAt: Date.now() + 1000 } as never,
        {
          total: 1,
          perSource: 1,
        },
      ),
    ).rejects.toThrow(CorruptRecordError);
  });

  test('the token endpoint answers 500 for a corrupt result and 503 when the server is unreachable', async () => {
    const port = await freePort();
    const unreachable = new PostgresGrantStore({
      pool: `postgres://postgres@127.0.0.1:${port}/test`,
      statementTimeoutMs: 1_000,
    });
    const provider = await testProvider({ grants: unreachable, interactions: new MemoryInteractionStore() });
    const started = Date.now();
    await expect(unreachable.findCode({ hash: 'x', grantId: 'g' })).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    const grantId = newGrantId(webCrypto);
    const c = await code(grantId);
    const failing = await provider.handler(post('/token', exchangeParams(c.token.value, 'v'.repeat(43))));
    expect(failing.status).toBe(503);
    expect(await failing.json()).toMatchObject({ error: 'temporarily_unavailable' });
    await unreachable.close();

    const corrupt = new PostgresGrantStore({ pool: fakePool([{ consumed: false, record: { grantId } }]) });
    const broken = await testProvider({ grants: corrupt, interactions: new MemoryInteractionStore() });
    const answer = await broken.handler(post('/token', exchangeParams(c.token.value, 'v'.repeat(43))));
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: 'server_error' });
  });
});

if (!(await findPostgres())) {
  reportSkipped('the stores on a real PostgreSQL');
} else {
  let db: TestSchema;
  beforeAll(async () => {
    db = await testSchema('stores');
  });
  afterAll(() => db?.drop());

  describe('PostgresGrantStore', () => {
    test('records come back exactly as given: optional fields absent, tricky strings intact', async () => {
      const grants = new PostgresGrantStore({ pool: db.pool, schema: db.schema });
      const grantId = newGrantId(webCrypto);
      const c = await code(grantId);
      const tricky: CodeRecord = {
        ...c.record,
        subject: 'ผู้ใช้ 👤 "q" \\ \u2028 \u00e9 \t',
        scopes: ['a:b', 'c,d', 'urn:x:{y}'],
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        expiresAt: c.record.expiresAt + 0.5,
      };
      await grants.saveCode(c.token.key, tricky);
      const found = await grants.findCode(c.token.key);
      expect(found).toEqual({ record: tricky, consumed: false });
      const { issue } = await tokens(grantId);
      const { subject: _, ...noSubject } = issue.accessToken.record;
      const bare: TokenIssue = { grantId, accessToken: { key: issue.accessToken.key, record: noSubject } };
      const consumed = await grants.consumeCode(c.token.key, bare);
      expect(consumed).toEqual({ status: 'consumed', record: tricky });
      const access = await grants.findAccessToken(issue.accessToken.key);
      expect(Object.keys(access ?? {}).sort()).toEqual(Object.keys(noSubject).sort());
    });

    test('a store whose clock is ahead sees a record as expired before the others do', async () => {
      const grants = new PostgresGrantStore({ pool: db.pool, schema: db.schema });
      const ahead = new PostgresGrantStore({
        pool: db.pool,
        schema: db.schema,
        clock: { now: () => Date.now() + 60_000 },
      });
      const grantId = newGrantId(webCrypto);
      const c = await code(grantId, 30_000);
      await grants.saveCode(c.token.key, c.record);
      expect(await grants.findCode(c.token.key)).toEqual({ record: c.record, consumed: false });
      expect(await ahead.findCode(c.token.key)).toBeUndefined();
      expect(await ahead.consumeCode(c.token.key, (await tokens(grantId)).issue)).toEqual({
        status: 'not_found',
      });
    });

    test('revokeGrant keeps the longer retention; a saveCode of a taken hash is a PostgresQueryError (500)', async () => {
      const grants = new PostgresGrantStore({ pool: db.pool, schema: db.schema });
      const grantId = newGrantId(webCrypto);
      await grants.revokeGrant(grantId, Date.now() + 90_000);
      await grants.revokeGrant(grantId, Date.now() + 10_000);
      const { rows } = await db.pool.query(
        `SELECT retain_until FROM "${db.schema}".revoked_grants WHERE grant_id = $1`,
        [grantId],
      );
      expect(Number(rows[0].retain_until)).toBeGreaterThan(Date.now() + 80_000);
      const c = await code(newGrantId(webCrypto));
      await grants.saveCode(c.token.key, c.record);
      const error = await grants.saveCode(c.token.key, c.record).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PostgresQueryError);
      expect((error as PostgresQueryError).code).toBe('23505');
    });

    test('a store made from a connection string owns its pool and ends it on close()', async () => {
      const owned = new PostgresGrantStore({ pool: databaseUrl, schema: db.schema });
      expect(await owned.findAccessToken({ hash: 'x', grantId: 'g' })).toBeUndefined();
      await owned.close();
      await expect(owned.findAccessToken({ hash: 'x', grantId: 'g' })).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      // A host pool is left alone.
      const borrowed = new PostgresGrantStore({ pool: db.pool, schema: db.schema });
      await borrowed.close();
      expect(await borrowed.findAccessToken({ hash: 'x', grantId: 'g' })).toBeUndefined();
    });

    test('the background sweep runs on its interval and stops on close()', async () => {
      let now = 3_000_000;
      const swept: Error[] = [];
      const grants = new PostgresGrantStore({
        pool: db.pool,
        schema: db.schema,
        clock: { now: () => now },
        sweepIntervalMs: 20,
        onError: (error) => swept.push(error),
      });
      const grantId = newGrantId(webCrypto);
      const token = await mintToken(webCrypto, 'access_token', grantId);
      await grants.issueTokens({
        grantId,
        accessToken: {
          key: token.key,
          record: { grantId, clientId: 'app', scopes: [], issuedAt: now, expiresAt: now + 10 },
        },
      });
      now += 10;
      const count = async () =>
        Number(
          (
            await db.pool.query(
              `SELECT count(*) AS n FROM "${db.schema}".access_tokens WHERE grant_id = $1`,
              [grantId],
            )
          ).rows[0].n,
        );
      for (let i = 0; i < 100 && (await count()) > 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await count()).toBe(0);
      await grants.close();
      expect(swept).toEqual([]);
    });
  });

  describe('PostgresInteractionStore', () => {
    const record = (ttl: number, source?: string): InteractionRecord => ({
      createdAt: Date.now(),
      expiresAt: Date.now() + ttl,
      ...(source === undefined ? {} : { source }),
      request: {
        responseType: 'code',
        client: { id: 'app', name: 'Test App' } as InteractionRecord['request']['client'],
        redirectUri: 'https://client.example/callback',
        redirectUriProvided: true,
        scopes: ['profile'],
        state: 'ผู้ใช้ "x"',
      } as unknown as InteractionRecord['request'],
    });

    test('the counter stays exact under racing saves and consumes (two stores, a pool of 10)', async () => {
      const store = new PostgresInteractionStore({ pool: db.pool, schema: db.schema });
      const other = new PostgresInteractionStore({ pool: db.pool, schema: db.schema });
      const limits = { total: 1_000, perSource: 1_000 };
      const keys = Array.from({ length: 60 }, (_, i) => `race-${i}-${Math.random()}`);
      await Promise.all(
        keys.map((key, i) => (i % 2 ? store : other).saveInteraction(key, record(60_000, 'c3JjQQ'), limits)),
      );
      await Promise.all(
        keys.slice(0, 30).flatMap((key) => [store.consumeInteraction(key), other.consumeInteraction(key)]),
      );
      const s = `"${db.schema}"`;
      const { rows } = await db.pool.query(
        `SELECT (SELECT pending FROM ${s}.interaction_count) AS pending, (SELECT count(*)::int FROM ${s}.interactions) AS actual`,
      );
      expect(rows[0].pending).toBe(rows[0].actual);
    });

    test('a source that is not a digest, a negative cap: TypeError; an expired save stores nothing', async () => {
      const store = new PostgresInteractionStore({ pool: db.pool, schema: db.schema });
      await expect(
        store.saveInteraction('k-bad', record(1000, 'not a digest!'), { total: 1, perSource: 1 }),
      ).rejects.toThrow(TypeError);
      await expect(store.saveInteraction('k-bad', record(1000), { total: -1, perSource: 1 })).rejects.toThrow(
        TypeError,
      );
      expect(await store.saveInteraction('k-old', record(-1), { total: 1, perSource: 1 })).toEqual({
        status: 'saved',
      });
      expect(await store.findInteraction('k-old')).toBeUndefined();
    });
  });

  describe('PostgresClientStore', () => {
    test('register validates (TypeError naming the field) and upserts; a stored row that fails the schema is an error', async () => {
      const clients = new PostgresClientStore({ pool: db.pool, schema: db.schema });
      const registration = await clientRegistration();
      await expect(
        clients.register({ ...registration, redirectUris: ['http://evil.example/cb'] }),
      ).rejects.toThrow(TypeError);
      expect(await clients.register(registration)).toEqual(registration);
      expect(await clients.register({ ...registration, name: 'Renamed' })).toMatchObject({ name: 'Renamed' });
      expect((await clients.findClient(registration.id))?.name).toBe('Renamed');
      await db.pool.query(
        `INSERT INTO "${db.schema}".clients (id, record) VALUES ('broken', '{"id":"broken"}')`,
      );
      await expect(clients.findClient('broken')).rejects.toThrow(CorruptRecordError);
    });

    test('the cache keeps a found client for cacheTtlMs; its own writes are seen at once', async () => {
      let now = Date.now();
      const clock = { now: () => now };
      const cached = new PostgresClientStore({ pool: db.pool, schema: db.schema, cacheTtlMs: 5_000, clock });
      const other = new PostgresClientStore({ pool: db.pool, schema: db.schema });
      const registration = { ...(await clientRegistration()), id: 'cached' };
      await other.registerClient(registration);
      expect((await cached.findClient('cached'))?.name).toBe('Test App');
      await other.updateClient({ ...registration, name: 'Renamed' });
      expect((await cached.findClient('cached'))?.name, 'within the TTL').toBe('Test App');
      now += 5_001;
      expect((await cached.findClient('cached'))?.name, 'after the TTL').toBe('Renamed');
      await cached.deleteClient('cached');
      expect(await cached.findClient('cached')).toBeUndefined();
    });
  });

  describe('through a provider', () => {
    test('a code issued and exchanged on PostgreSQL; the exchange twice: 200 then 400', async () => {
      const provider = await testProvider({
        grants: new PostgresGrantStore({ pool: db.pool, schema: db.schema }),
        interactions: new MemoryInteractionStore(),
      });
      const { code: value, verifier } = await issueCode(provider.server);
      expect((await provider.handler(post('/token', exchangeParams(value, verifier)))).status).toBe(200);
      expect((await provider.handler(post('/token', exchangeParams(value, verifier)))).status).toBe(400);
    });
  });
}

import { mintToken, newGrantId, type TokenIssue, webCrypto } from '@kraikub/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresGrantStore, PostgresInteractionStore } from '../src/index.ts';
import { findPostgres, reportSkipped, type TestSchema, testSchema } from './support/postgres.ts';

// The sweep: expired rows go in batches of at most batchSize rows per table and statement;
// nothing live is touched; a tombstone goes once retained long enough, with any record of
// its grant; swept interactions free their places.

if (!(await findPostgres())) {
  reportSkipped('sweeping expired rows');
} else {
  let db: TestSchema;
  beforeAll(async () => {
    db = await testSchema('sweep');
  });
  afterAll(() => db?.drop());

  const count = async (table: string) =>
    Number((await db.pool.query(`SELECT count(*) AS n FROM "${db.schema}".${table}`)).rows[0].n);

  async function issue(grantId: string, at: number, ttl: number): Promise<TokenIssue> {
    const access = await mintToken(webCrypto, 'access_token', grantId);
    const refresh = await mintToken(webCrypto, 'refresh_token', grantId);
    const base = {
      grantId,
      clientId: 'app',
      scopes: ['profile'],
      issuedAt: at,
      expiresAt: at + ttl,
      subject: 'alice',
    };
    return {
      grantId,
      accessToken: { key: access.key, record: base },
      refreshToken: { key: refresh.key, record: base },
    };
  }

  describe('sweep', () => {
    test('120 expired grants and 20 live ones: batches of 50, every expired row gone, every live one kept', async () => {
      let now = 1_000_000;
      const clock = { now: () => now };
      const store = new PostgresGrantStore({ pool: db.pool, schema: db.schema, clock });
      const live: TokenIssue[] = [];
      const grantAt = async (i: number) => {
        const grantId = newGrantId(webCrypto);
        const code = await mintToken(webCrypto, 'code', grantId);
        const ttl = i < 120 ? 1_000 : 60_000;
        await store.saveCode(code.key, {
          grantId,
          clientId: 'app',
          scopes: ['profile'],
          issuedAt: now,
          expiresAt: now + ttl,
          subject: 'alice',
          redirectUri: 'https://client.example/cb',
          redirectUriProvided: true,
        });
        const tokens = await issue(grantId, now, ttl);
        expect(await store.consumeCode(code.key, tokens)).toMatchObject({ status: 'consumed' });
        if (i >= 120) live.push(tokens);
      };
      await Promise.all(Array.from({ length: 140 }, (_, i) => grantAt(i)));
      now += 1_000; // exactly the expiry of the first 250: expired (now >= expiresAt)
      const sent: unknown[] = [];
      const original = db.pool.query.bind(db.pool) as (...args: unknown[]) => Promise<unknown>;
      (db.pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args) => {
        sent.push(args[0]);
        return original(...args);
      };
      let removed: Awaited<ReturnType<PostgresGrantStore['sweep']>>;
      try {
        removed = await store.sweep({ batchSize: 50 });
      } finally {
        (db.pool as unknown as { query: unknown }).query = original;
      }
      // 50 + 50 + 20 expired rows per table, then one statement for tombstones (none).
      expect(removed).toEqual({
        codes: 120,
        accessTokens: 120,
        refreshTokens: 120,
        revokedGrants: 0,
        batches: 4,
      });
      expect(sent.length, 'one statement per batch').toBe(4);
      expect(await count('codes')).toBe(20);
      expect(await count('access_tokens')).toBe(20);
      expect(await count('refresh_tokens')).toBe(20);
      for (const tokens of live) {
        expect(await store.findAccessToken(tokens.accessToken.key)).toEqual(tokens.accessToken.record);
      }
      expect(await store.sweep({ batchSize: 50 }), 'nothing left').toEqual({
        codes: 0,
        accessTokens: 0,
        refreshTokens: 0,
        revokedGrants: 0,
        batches: 2,
      });
      // maxBatches bounds one call.
      now += 60_000;
      const first = await store.sweep({ batchSize: 10, maxBatches: 2 });
      expect(first.batches).toBe(2);
      expect(first.codes).toBe(20);
      expect((await store.sweep({ batchSize: 10 })).codes).toBe(0);
    });

    test('a tombstone stays while retained (its grant refused), then goes with any record of the grant', async () => {
      let now = 5_000_000;
      const clock = { now: () => now };
      const store = new PostgresGrantStore({ pool: db.pool, schema: db.schema, clock });
      const grantId = newGrantId(webCrypto);
      await store.revokeGrant(grantId, now + 10_000);
      // A record written as the grant was revoked (a concurrent issue), by hand.
      const stray = await issue(grantId, now, 60_000);
      await db.pool.query(
        `INSERT INTO "${db.schema}".access_tokens (hash, grant_id, expires_at, record) VALUES ($1, $2, $3, $4)`,
        [stray.accessToken.key.hash, grantId, now + 60_000, JSON.stringify(stray.accessToken.record)],
      );
      expect(await store.findAccessToken(stray.accessToken.key), 'the tombstone hides it').toBeUndefined();
      now += 9_999;
      expect((await store.sweep()).revokedGrants, 'still retained').toBe(0);
      expect(await store.issueTokens(await issue(grantId, now, 1_000))).toEqual({ status: 'grant_revoked' });
      now += 1;
      expect(await store.sweep()).toEqual({
        codes: 0,
        accessTokens: 1,
        refreshTokens: 0,
        revokedGrants: 1,
        batches: 2,
      });
      expect(await count('revoked_grants')).toBe(0);
      expect(
        await store.findAccessToken(stray.accessToken.key),
        'no record outlives its tombstone',
      ).toBeUndefined();
    });

    test('interactions: expired ones go in batches and free their places; live ones stay', async () => {
      let now = 9_000_000;
      const clock = { now: () => now };
      const store = new PostgresInteractionStore({ pool: db.pool, schema: db.schema, clock });
      const request = { responseType: 'code', client: { id: 'app', name: 'App' }, scopes: ['profile'] };
      const record = (ttl: number) =>
        ({ request, createdAt: now, expiresAt: now + ttl }) as unknown as Parameters<
          PostgresInteractionStore['saveInteraction']
        >[1];
      const limits = { total: 30, perSource: 30 };
      for (let i = 0; i < 25; i++) await store.saveInteraction(`old-${i}`, record(1_000), limits);
      const fresh = record(60_000);
      for (let i = 0; i < 5; i++) await store.saveInteraction(`new-${i}`, fresh, limits);
      expect((await store.saveInteraction('one-more', record(60_000), limits)).status).toBe('limited');
      now += 1_000;
      expect(await store.sweep({ batchSize: 10 })).toEqual({ interactions: 25, batches: 3 });
      expect(await count('interactions')).toBe(5);
      const pending = (await db.pool.query(`SELECT pending FROM "${db.schema}".interaction_count`)).rows[0]
        .pending;
      expect(pending, 'the counter follows').toBe(5);
      expect(await store.findInteraction('new-0')).toEqual(fresh);
      expect((await store.saveInteraction('one-more', record(60_000), limits)).status).toBe('saved');
    });
  });
}

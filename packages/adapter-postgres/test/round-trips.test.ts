import { MemoryInteractionStore } from '@kraikub/adapter-memory';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresClientStore, PostgresGrantStore } from '../src/index.ts';
import {
  clientRegistration,
  exchangeParams,
  issueCode,
  post,
  type TestProvider,
  testProvider,
} from './support/flow.ts';
import { findPostgres, reportSkipped, type TestSchema, testSchema } from './support/postgres.ts';

// DESIGN section 3: at most 2 round trips per code exchange and per refresh, 1 per
// introspection. Each store call is one pool.query (one statement on one connection,
// awaited), so wrapping the pool's query counts round trips exactly.

/** Wraps `pool.query`: every call is recorded with the first words of its SQL. */
function countQueries(pool: pg.Pool) {
  const sent: string[] = [];
  const original = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
    const config = args[0] as string | { text: string };
    const text = typeof config === 'string' ? config : config.text;
    sent.push(summary(text));
    return original(...args);
  };
  return sent;
}

/** `SELECT codes`, `WITH ... codes`, `INSERT access_tokens`: the kind of statement and its main table. */
function summary(text: string): string {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '?';
  const table = /"[^"]+"\.(\w+)/.exec(text)?.[1] ?? '?';
  return `${verb} ${table}`;
}

if (!(await findPostgres())) {
  reportSkipped('round trips and rows per grant');
} else {
  let db: TestSchema;
  let sent: string[];
  let grants: PostgresGrantStore;
  let provider: TestProvider;

  beforeAll(async () => {
    db = await testSchema('round_trips');
    sent = countQueries(db.pool);
    grants = new PostgresGrantStore({ pool: db.pool, schema: db.schema });
    await new PostgresClientStore({ pool: db.pool, schema: db.schema }).register(await clientRegistration());
    provider = await testProvider({ grants, interactions: new MemoryInteractionStore() });
  });

  afterAll(() => db?.drop());

  /** Exchange, refresh, introspect; the statements each step sent. */
  async function fullFlow(p: TestProvider) {
    const { code, verifier } = await issueCode(p.server);
    sent.length = 0;
    const exchanged = await p.handler(post('/token', exchangeParams(code, verifier)));
    const exchange = sent.splice(0);
    expect(exchanged.status).toBe(200);
    const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };

    const refreshed = await p.handler(
      post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    );
    const refresh = sent.splice(0);
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string };

    const introspected = await p.handler(post('/introspect', { token: next.access_token }));
    const introspection = sent.splice(0);
    expect(await introspected.json()).toMatchObject({ active: true });
    return { exchange, refresh, introspection, tokens, next };
  }

  describe('round trips (DESIGN section 3 goal: 2 per exchange and per refresh, 1 per introspection)', () => {
    test('code exchange 2, refresh 2, introspection 1, counted on the pool', async () => {
      const { exchange, refresh, introspection } = await fullFlow(provider);
      console.info(
        `round trips: exchange ${exchange.join(', ')}; refresh ${refresh.join(', ')}; introspection ${introspection.join(', ')}`,
      );
      expect(exchange, 'code exchange: findCode, consumeCode').toEqual(['SELECT codes', 'WITH codes']);
      expect(refresh, 'refresh: findRefreshToken, rotateRefreshToken').toEqual([
        'SELECT refresh_tokens',
        'WITH refresh_tokens',
      ]);
      expect(introspection, 'introspection: findAccessToken').toEqual(['SELECT access_tokens']);
    });

    test('clients from PostgreSQL: one more query per request without a cache, none with a warm cache', async () => {
      const uncached = await testProvider({
        grants,
        clients: new PostgresClientStore({ pool: db.pool, schema: db.schema }),
        interactions: new MemoryInteractionStore(),
      });
      const cold = await fullFlow(uncached);
      expect(cold.exchange).toEqual(['SELECT clients', 'SELECT codes', 'WITH codes']);
      expect(cold.refresh).toEqual(['SELECT clients', 'SELECT refresh_tokens', 'WITH refresh_tokens']);
      expect(cold.introspection).toEqual(['SELECT clients', 'SELECT access_tokens']);

      const cached = await testProvider({
        grants,
        clients: new PostgresClientStore({ pool: db.pool, schema: db.schema, cacheTtlMs: 60_000 }),
        interactions: new MemoryInteractionStore(),
      });
      await fullFlow(cached);
      const warm = await fullFlow(cached);
      expect(warm.exchange).toEqual(['SELECT codes', 'WITH codes']);
      expect(warm.refresh).toEqual(['SELECT refresh_tokens', 'WITH refresh_tokens']);
      expect(warm.introspection).toEqual(['SELECT access_tokens']);
    });
  });

  describe('rows per grant', () => {
    async function rowsOf(grantId: string) {
      const s = `"${db.schema}"`;
      const { rows } = await db.pool.query<{
        codes: number;
        access: number;
        refresh: number;
        revoked: number;
      }>(
        `SELECT (SELECT count(*) FROM ${s}.codes WHERE grant_id = $1)::int AS codes,
          (SELECT count(*) FROM ${s}.access_tokens WHERE grant_id = $1)::int AS access,
          (SELECT count(*) FROM ${s}.refresh_tokens WHERE grant_id = $1)::int AS refresh,
          (SELECT count(*) FROM ${s}.revoked_grants WHERE grant_id = $1)::int AS revoked`,
        [grantId],
      );
      return rows[0] as { codes: number; access: number; refresh: number; revoked: number };
    }

    test('an active grant: 3 rows after the exchange, 5 after one refresh; revoked: only the tombstone', async () => {
      const { code, verifier } = await issueCode(provider.server);
      expect(await rowsOf(code.slice(4, code.indexOf('.')))).toEqual({
        codes: 1,
        access: 0,
        refresh: 0,
        revoked: 0,
      });
      const exchanged = await provider.handler(post('/token', exchangeParams(code, verifier)));
      const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };
      const grantId = tokens.access_token.slice(4, tokens.access_token.indexOf('.'));
      // The consumed code (a tombstone until it expires), the access token, the refresh token.
      expect(await rowsOf(grantId)).toEqual({ codes: 1, access: 1, refresh: 1, revoked: 0 });
      await provider.handler(
        post('/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
      );
      // Plus the successors; the rotated refresh token stays (reuse detection) until it expires.
      expect(await rowsOf(grantId)).toEqual({ codes: 1, access: 2, refresh: 2, revoked: 0 });
      expect((await provider.server.revokeGrant(grantId)).isOk()).toBe(true);
      expect(await rowsOf(grantId)).toEqual({ codes: 0, access: 0, refresh: 0, revoked: 1 });
    });
  });
}

import { MemoryInteractionStore } from '@kraikub/adapter-memory';
import { StorageUnavailableError, sha256Base64url, webCrypto } from '@kraikub/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPostgresPool, PostgresGrantStore } from '../src/index.ts';
import { exchangeParams, issueCode, post, type TestProvider, testProvider } from './support/flow.ts';
import {
  databaseUrl,
  findPostgres,
  reportSkipped,
  type TestSchema,
  testPool,
  testSchema,
} from './support/postgres.ts';
import { startProxy, type TcpProxy } from './support/proxy.ts';

// Fail closed: the backend is terminated in the middle of a statement, the connection is
// cut, the server is unreachable or hangs, a statement outlives its timeout, the server
// refuses connections. Each time the provider answers 503 temporarily_unavailable within
// the timeout, issues nothing, leaves the code unspent, and serves again by itself.

const statementTimeoutMs = 1_000;
/** Slack for the event loop of a small machine running other test files at once. */
const slackMs = 750;

interface Outcome {
  readonly status: number;
  readonly ms: number;
  readonly body: { error?: string; access_token?: string };
}

if (!(await findPostgres())) {
  reportSkipped('faults under a running provider');
} else {
  let db: TestSchema;
  let admin: pg.Pool;
  beforeAll(async () => {
    db = await testSchema('fault');
    admin = testPool(3);
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  const s = () => `"${db.schema}"`;

  async function exchange(provider: TestProvider, code: string, verifier: string): Promise<Outcome> {
    const started = Date.now();
    const response = await provider.handler(post('/token', exchangeParams(code, verifier)));
    return { status: response.status, ms: Date.now() - started, body: await response.json() };
  }

  /** What the database holds of a code's grant: whether the code is spent, and how many tokens. */
  async function stateOf(code: string) {
    const grantId = code.slice(4, code.indexOf('.'));
    const hash = await sha256Base64url(webCrypto, code);
    const { rows } = await admin.query(
      `SELECT (SELECT consumed FROM ${s()}.codes WHERE hash = $1) AS consumed,
        (SELECT count(*) FROM ${s()}.access_tokens WHERE grant_id = $2)::int AS tokens`,
      [hash, grantId],
    );
    return rows[0] as { consumed: boolean | null; tokens: number };
  }

  function expect503(outcome: Outcome, within = statementTimeoutMs + slackMs): void {
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(503);
    expect(outcome.body).toEqual(expect.objectContaining({ error: 'temporarily_unavailable' }));
    expect(outcome.body.access_token).toBeUndefined();
    expect(outcome.ms, '503 within the statement timeout').toBeLessThan(within);
  }

  /** Holds the code's row lock on a connection of its own until `release()`. */
  async function lockCode(code: string) {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('BEGIN');
    const hash = await sha256Base64url(webCrypto, code);
    await client.query(`SELECT 1 FROM ${s()}.codes WHERE hash = $1 FOR UPDATE`, [hash]);
    return {
      release: async () => {
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  }

  /** The pid of a backend waiting for a lock in a consumeCode statement, once there is one. */
  async function waitingBackend(): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query(
        `SELECT pid FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND query LIKE 'WITH live AS%' AND query LIKE $1`,
        [`%${s()}.codes%`],
      );
      if (rows[0] !== undefined) return (rows[0] as { pid: number }).pid;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('no consumeCode statement is waiting for the lock');
  }

  describe('fault: the backend or the connection dies in the middle of a statement', () => {
    test('pg_terminate_backend while consumeCode waits for a row lock: 503, nothing issued; the same code works afterwards', async () => {
      const pool = testPool(4);
      try {
        const provider = await testProvider({
          grants: new PostgresGrantStore({ pool, schema: db.schema, statementTimeoutMs: 5_000 }),
          interactions: new MemoryInteractionStore(),
        });
        const { code, verifier } = await issueCode(provider.server);
        const lock = await lockCode(code);
        let outcome: Outcome;
        try {
          const pending = exchange(provider, code, verifier);
          const pid = await waitingBackend();
          await admin.query('SELECT pg_terminate_backend($1)', [pid]);
          outcome = await pending;
        } finally {
          await lock.release();
        }
        expect503(outcome, 5_000);
        expect(await stateOf(code), 'nothing consumed, nothing issued').toEqual({
          consumed: false,
          tokens: 0,
        });
        // The pool dropped the dead connection and opens another: the code buys tokens once.
        expect((await exchange(provider, code, verifier)).status).toBe(200);
        expect((await exchange(provider, code, verifier)).status).toBe(400);
      } finally {
        await pool.end();
      }
    });

    test('the connection is cut (reset) while consumeCode waits for a row lock: 503; the server aborts the orphaned statement, nothing issued', async () => {
      const url = new URL(databaseUrl);
      const proxy = await startProxy(url.hostname, Number(url.port || 5432));
      // createPostgresPool: the server checks for a lost client while a statement waits.
      const pool = createPostgresPool(proxiedUrl(proxy), { max: 4, statementTimeoutMs: 5_000 });
      try {
        const provider = await testProvider({
          grants: new PostgresGrantStore({ pool, schema: db.schema, statementTimeoutMs: 5_000 }),
          interactions: new MemoryInteractionStore(),
        });
        const { code, verifier } = await issueCode(provider.server);
        const lock = await lockCode(code);
        let outcome: Outcome;
        try {
          const pending = exchange(provider, code, verifier);
          await waitingBackend();
          proxy.cut();
          outcome = await pending;
          // client_connection_check_interval is 1 s here: by then the server has aborted it.
          await new Promise((resolve) => setTimeout(resolve, 1_300));
        } finally {
          await lock.release();
        }
        expect503(outcome, 5_000);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await stateOf(code), 'nothing consumed, nothing issued').toEqual({
          consumed: false,
          tokens: 0,
        });
        expect((await exchange(provider, code, verifier)).status, 'the same pool serves again').toBe(200);
      } finally {
        await pool.end();
        await proxy.close();
      }
    });
  });

  describe('fault: the server goes away and comes back', () => {
    let proxy: TcpProxy;
    let pool: pg.Pool;
    let provider: TestProvider;

    beforeAll(async () => {
      const url = new URL(databaseUrl);
      proxy = await startProxy(url.hostname, Number(url.port || 5432));
      // The host's pool, as a host configures it: no connection timeout of its own.
      pool = testPool(4, { connectionString: proxiedUrl(proxy) });
      provider = await testProvider({
        grants: new PostgresGrantStore({ pool, schema: db.schema, statementTimeoutMs }),
        interactions: new MemoryInteractionStore(),
      });
    });
    afterAll(async () => {
      await pool?.end();
      await proxy?.close();
    });

    test('unreachable (connections refused): 503 at once, nothing issued; back up, the same provider serves', async () => {
      const { code, verifier } = await issueCode(provider.server);
      await proxy.down();
      const outcomes = [await exchange(provider, code, verifier), await exchange(provider, code, verifier)];
      for (const outcome of outcomes) expect503(outcome);
      const introspection = await provider.handler(post('/introspect', { token: 'kba_x.y' }));
      expect([200, 503]).toContain(introspection.status);
      expect(await stateOf(code)).toEqual({ consumed: false, tokens: 0 });
      await proxy.up();
      expect((await exchange(provider, code, verifier)).status, 'after recovery').toBe(200);
    });

    test('a black hole (connections accepted, never answered): 503 within the statement timeout; then recovery', async () => {
      const { code, verifier } = await issueCode(provider.server);
      await proxy.hang();
      try {
        const outcome = await exchange(provider, code, verifier);
        expect503(outcome);
        expect(outcome.ms).toBeGreaterThanOrEqual(statementTimeoutMs - 50);
      } finally {
        await proxy.up();
      }
      expect(await stateOf(code)).toEqual({ consumed: false, tokens: 0 });
      // Connections opened into the black hole are gone; the pool opens new ones.
      let status = 0;
      for (let i = 0; i < 20 && status !== 200; i++) {
        status = (await exchange(provider, code, verifier)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status, 'after recovery').toBe(200);
    });
  });

  describe('fault: timeouts and refusals by the server', () => {
    test('a statement that waits longer than statementTimeoutMs (statement_timeout, lock_timeout): 503, nothing consumed', async () => {
      const pool = createPostgresPool(databaseUrl, { max: 4, statementTimeoutMs: 500 });
      try {
        const provider = await testProvider({
          grants: new PostgresGrantStore({ pool, schema: db.schema, statementTimeoutMs: 500 }),
          interactions: new MemoryInteractionStore(),
        });
        const { code, verifier } = await issueCode(provider.server);
        const lock = await lockCode(code);
        let outcome: Outcome;
        try {
          outcome = await exchange(provider, code, verifier);
        } finally {
          await lock.release();
        }
        expect503(outcome, 500 + slackMs);
        expect(await stateOf(code)).toEqual({ consumed: false, tokens: 0 });
        expect((await exchange(provider, code, verifier)).status).toBe(200);
      } finally {
        await pool.end();
      }
    });

    test('too many connections (53300, a role with CONNECTION LIMIT 0): 503', async () => {
      const role = `kraikub_test_limit_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      await admin.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`);
      const url = new URL(databaseUrl);
      url.username = role;
      url.password = '';
      const pool = testPool(2, { connectionString: url.toString() });
      try {
        const grants = new PostgresGrantStore({ pool, schema: db.schema });
        const failure = await grants
          .findAccessToken({ hash: 'x', grantId: 'g' })
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(StorageUnavailableError);
        expect(String((failure as Error).message)).toContain('53300');
      } finally {
        await pool.end();
        await admin.query(`DROP ROLE ${role}`);
      }
    });

    test('an idle pooled connection whose backend is terminated: no unhandled error event, the next request works', async () => {
      const pool = new pg.Pool({
        connectionString: databaseUrl,
        max: 3,
        application_name: 'kraikub-idle-test',
      });
      const errors: Error[] = [];
      try {
        const grants = new PostgresGrantStore({
          pool,
          schema: db.schema,
          onError: (error) => errors.push(error),
        });
        const provider = await testProvider({ grants, interactions: new MemoryInteractionStore() });
        const { code, verifier } = await issueCode(provider.server);
        expect(pool.idleCount).toBeGreaterThan(0);
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kraikub-idle-test'`,
        );
        for (let i = 0; i < 50 && errors.length === 0; i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        expect(errors.length, 'the idle error reached onError').toBeGreaterThan(0);
        expect((await exchange(provider, code, verifier)).status).toBe(200);
      } finally {
        await pool.end();
      }
    });

    test('without onError, the store still listens: an idle error never crashes the process', () => {
      const pool = new pg.Pool({ connectionString: databaseUrl });
      expect(pool.listenerCount('error')).toBe(0);
      void new PostgresGrantStore({ pool, schema: db.schema });
      expect(pool.listenerCount('error')).toBe(1);
      return pool.end();
    });
  });

  function proxiedUrl(proxy: TcpProxy): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    return url.toString();
  }
}

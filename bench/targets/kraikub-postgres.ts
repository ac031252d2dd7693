/**
 * Kraikub with `@kraikub/adapter-postgres`'s `PostgresGrantStore`, through
 * `toNodeHandler`, on the PostgreSQL at `DATABASE_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`), in a schema of its own created
 * for this process (`migrate`) and dropped when it stops. Reported as not
 * available when the adapter is not built or no PostgreSQL answers.
 *
 * It counts what the database does for Kraikub: statements per token
 * request (each is one round trip), measured once at start-up on one
 * exchange and one refresh, and over the whole run for the requests the
 * HTTP server answered; and rows per active grant when it stops. It prints
 * them on stderr (`BENCH_VERBOSE=1` shows them) and exposes them as `figures`.
 * For the runner's window it answers `stats`: the statements sent so far
 * (`roundTrips`) and the pids of the PostgreSQL backends of its pool's
 * connections (`pg`'s `processID`), whose CPU the runner samples.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthorizationServer } from '@kraikub/core';
import { basic, cryptoFor, kraikubTarget } from '../lib/kraikub.ts';
import { client, runTarget, Unavailable } from '../lib/target.ts';

const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const log = (message: string) => process.stderr.write(`kraikub-postgres: ${message}\n`);

runTarget(async () => {
  const adapter = await import('@kraikub/adapter-postgres').catch(() => undefined);
  if (adapter === undefined || typeof adapter.PostgresGrantStore !== 'function') {
    throw new Unavailable('@kraikub/adapter-postgres is not built (pnpm build)');
  }
  const { createPostgresPool, migrate, PostgresGrantStore } = adapter;
  const pool = createPostgresPool(url, { max: 20 });
  // The backend process of each connection of the pool, for its CPU over a window.
  const backends = new Set<number>();
  // `pg` sets `processID` from the server's BackendKeyData; @types/pg does not declare it.
  const backendOf = (connection: object) => (connection as { processID?: unknown }).processID;
  pool.on('connect', (connection) => {
    const pid = backendOf(connection);
    if (typeof pid === 'number') backends.add(pid);
  });
  pool.on('remove', (connection) => {
    const pid = backendOf(connection);
    if (typeof pid === 'number') backends.delete(pid);
  });
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new Unavailable(`no PostgreSQL at ${url}: ${(cause as Error).message}`);
  }
  const schema = `kraikub_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await migrate(pool, { schema });

  // Statements sent: all of them, and those sent while answering an HTTP request.
  const inRequest = new AsyncLocalStorage<true>();
  const count = { all: 0, http: 0, requests: 0 };
  type Query = (config: unknown, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
  const query = pool.query.bind(pool) as Query;
  (pool as unknown as { query: Query }).query = (config, values) => {
    count.all += 1;
    if (inRequest.getStore() === true) count.http += 1;
    return query(config, values);
  };

  const store = new PostgresGrantStore({ pool, schema });
  const { crypto } = await cryptoFor();
  const setup = await kraikubTarget(store, crypto);
  const server = setup.server as AuthorizationServer;

  // Calibration: one exchange and one refresh, counted alone.
  const counted = async (step: () => Promise<unknown>) => {
    const before = count.all;
    await step();
    return count.all - before;
  };
  const [code] = await setup.mint('exchange', 1);
  let refreshToken = '';
  const perExchange = await counted(async () => {
    const tokens = await server.token({
      params: { grant_type: 'authorization_code', code: code as string, redirect_uri: client.redirectUri },
      authorization: basic,
    });
    if (tokens.isErr()) throw new Error(`calibration exchange failed: ${tokens.error.description}`);
    refreshToken = tokens.value.refresh_token as string;
  });
  const perRefresh = await counted(async () => {
    const tokens = await server.token({
      params: { grant_type: 'refresh_token', refresh_token: refreshToken },
      authorization: basic,
    });
    if (tokens.isErr()) throw new Error(`calibration refresh failed: ${tokens.error.description}`);
  });
  const figures = { queriesPerExchange: perExchange, queriesPerRefresh: perRefresh } as Record<
    string,
    number
  >;
  log(`statements (round trips) per request: code exchange ${perExchange}, refresh ${perRefresh}`);

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    count.requests += 1;
    inRequest.run(true, () => setup.listener(request, response));
  };

  return {
    ...setup,
    listener,
    figures,
    async stats() {
      return { counters: { roundTrips: count.all }, pids: [...backends] };
    },
    async close() {
      try {
        const s = `"${schema}"`;
        // Rows per active grant (one with an access token), counted over its three tables.
        const { rows } = await query(
          `WITH records AS (
             SELECT grant_id FROM ${s}.codes UNION ALL SELECT grant_id FROM ${s}.access_tokens
             UNION ALL SELECT grant_id FROM ${s}.refresh_tokens
           ), per_grant AS (
             SELECT grant_id, count(*) AS n FROM records
             WHERE grant_id IN (SELECT grant_id FROM ${s}.access_tokens) GROUP BY grant_id
           )
           SELECT n::int AS rows, count(*)::int AS grants FROM per_grant GROUP BY n ORDER BY n`,
        );
        const grants = rows.reduce((sum, row) => sum + Number(row.grants), 0);
        const total = rows.reduce((sum, row) => sum + Number(row.rows) * Number(row.grants), 0);
        figures.rowsPerActiveGrant = total / Math.max(1, grants);
        if (count.requests > 0) figures.queriesPerHttpRequest = count.http / count.requests;
        log(
          `over the run: ${count.requests} token requests, ${count.http} statements ` +
            `(${(count.http / Math.max(1, count.requests)).toFixed(2)} per request); rows per active grant: ` +
            rows.map((row) => `${row.rows} (${row.grants} grants)`).join(', '),
        );
        await query(`DROP SCHEMA ${s} CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
});

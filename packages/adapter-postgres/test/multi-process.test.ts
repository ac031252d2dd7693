import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresClientStore } from '../src/index.ts';
import { basic, clientRegistration, pkce, REDIRECT } from './support/flow.ts';
import { databaseUrl, findPostgres, reportSkipped, type TestSchema, testSchema } from './support/postgres.ts';

// Two real provider processes (node + tsx, test/fixtures/provider.ts) share one database:
// a flow started on one finishes on the other, one code raced across both buys exactly
// one token response, and a refresh-token replay on one revokes the grant for the other.

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const available = await findPostgres();

interface ProviderProcess {
  readonly base: string;
  readonly child: ChildProcess;
}

async function startProvider(schema: string): Promise<ProviderProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/provider.ts'], {
    cwd: packageDir,
    env: { ...process.env, DATABASE_URL: databaseUrl, KRAIKUB_SCHEMA: schema },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('provider process did not start in 20 s')), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0] ?? '';
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`provider process exited with ${code}`));
    });
  });
  return { base: `http://127.0.0.1:${port}`, child };
}

async function stopProvider(provider: ProviderProcess | undefined): Promise<void> {
  const child = provider?.child;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

const form = (params: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
  body: new URLSearchParams(params).toString(),
});

if (!available) {
  reportSkipped('two provider processes sharing one database');
} else {
  let db: TestSchema;
  let a: ProviderProcess | undefined;
  let b: ProviderProcess | undefined;

  beforeAll(async () => {
    db = await testSchema('two_processes');
    const { pool, schema } = db;
    await new PostgresClientStore({ pool, schema }).register(await clientRegistration());
    [a, b] = await Promise.all([startProvider(schema), startProvider(schema)]);
  }, 45_000);

  afterAll(async () => {
    await Promise.all([stopProvider(a), stopProvider(b)]);
    await db?.drop();
  });

  /** Authorization request on `start`, login and approval on `finish`: the code. */
  async function codeAcross(start: ProviderProcess, finish: ProviderProcess) {
    const { verifier, challenge } = await pkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'app',
      redirect_uri: REDIRECT,
      scope: 'profile',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const page = await fetch(`${start.base}/authorize?${query}`);
    expect(page.status).toBe(200);
    const interaction = await page.text();
    const login = await logIn(finish, interaction);
    expect(login.status).toBe(303);
    const code = new URL(login.headers.get('location') as string).searchParams.get('code') as string;
    expect(code).toMatch(/^kbc_/);
    return { code, verifier, interaction };
  }

  const logIn = (p: ProviderProcess, interaction: string) =>
    fetch(`${p.base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ interaction, user: 'alice' }).toString(),
      redirect: 'manual',
    });

  const exchange = (p: ProviderProcess, code: string, verifier: string) =>
    fetch(
      `${p.base}/token`,
      form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
    );

  describe('two provider processes sharing one database', () => {
    test('an interaction started on A completes on B, and only once', async () => {
      const { interaction } = await codeAcross(a as ProviderProcess, b as ProviderProcess);
      const again = await Promise.all([
        logIn(a as ProviderProcess, interaction),
        logIn(b as ProviderProcess, interaction),
      ]);
      expect(again.map((response) => response.status)).toEqual([404, 404]);
    });

    test('20 parallel exchanges of one code, alternating A and B: exactly one 200', async () => {
      const { code, verifier } = await codeAcross(a as ProviderProcess, b as ProviderProcess);
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          exchange((i % 2 === 0 ? a : b) as ProviderProcess, code, verifier),
        ),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200).length, `statuses ${statuses.join(',')}`).toBe(1);
      expect(statuses.filter((status) => status === 400).length).toBe(19);
      for (const response of responses.filter((r) => r.status === 400)) {
        expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
      }
    });

    test('10 codes, each redeemed 3 times on A and 3 times on B at once: exactly one 200 per code', async () => {
      const codes = await Promise.all(
        Array.from({ length: 10 }, () => codeAcross(a as ProviderProcess, b as ProviderProcess)),
      );
      const attempts = codes.flatMap(({ code, verifier }) =>
        Array.from({ length: 6 }, (_, i) => ({
          code,
          verifier,
          on: (i % 2 === 0 ? a : b) as ProviderProcess,
        })),
      );
      const statuses = await Promise.all(
        attempts.map(async ({ code, verifier, on }) => ({
          code,
          status: (await exchange(on, code, verifier)).status,
        })),
      );
      for (const { code } of codes) {
        const mine = statuses.filter((s) => s.code === code).map((s) => s.status);
        expect(mine.filter((status) => status === 200).length, `statuses ${mine.join(',')}`).toBe(1);
        expect(mine.filter((status) => status === 400).length).toBe(5);
      }
    });

    test('a refresh on A, then a replay of the old refresh token on B: invalid_grant, and A sees the grant revoked', async () => {
      const { code, verifier } = await codeAcross(b as ProviderProcess, a as ProviderProcess);
      const first = await exchange(a as ProviderProcess, code, verifier);
      expect(first.status).toBe(200);
      const issued = (await first.json()) as { access_token: string; refresh_token: string };

      const refreshed = await fetch(
        `${a?.base}/token`,
        form({ grant_type: 'refresh_token', refresh_token: issued.refresh_token }),
      );
      expect(refreshed.status).toBe(200);
      const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
      const introspect = async (token: string) =>
        (await (await fetch(`${a?.base}/introspect`, form({ token }))).json()) as { active: boolean };
      expect((await introspect(next.access_token)).active, 'new access token before the replay').toBe(true);

      const replay = await fetch(
        `${b?.base}/token`,
        form({ grant_type: 'refresh_token', refresh_token: issued.refresh_token }),
      );
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });

      expect((await introspect(next.access_token)).active, 'new access token on A').toBe(false);
      expect((await introspect(next.refresh_token)).active, 'new refresh token on A').toBe(false);
      expect((await introspect(issued.access_token)).active, 'first access token on A').toBe(false);
      const afterwards = await fetch(
        `${a?.base}/token`,
        form({ grant_type: 'refresh_token', refresh_token: next.refresh_token }),
      );
      expect(afterwards.status, 'the successor cannot refresh either').toBe(400);
    });
  });
}

import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoClient } from '../src/main.ts';
import { field, userAgent } from './support/browser-agent.ts';
import {
  hasRedisServer,
  PostgresDatabase,
  ProviderProcess,
  postgresUrl,
  RedisProcess,
} from './support/processes.ts';

/**
 * Two provider processes on one shared store, behind a plain round-robin
 * proxy (no sticky sessions): every request goes to the other process than
 * the one before. One user's whole flow must work: sessions, pending
 * interactions, remembered consents, rate limits, codes, tokens and the
 * ID Token signing key all live in the store. Once on a private Redis, once
 * on a private PostgreSQL database.
 */
const onCi = process.env.CI === 'true';
const redisAvailable = hasRedisServer();
const postgresAvailable = await PostgresDatabase.available();
for (const [name, available] of [
  ['redis-server on PATH', redisAvailable],
  [`PostgreSQL at ${postgresUrl}`, postgresAvailable],
] as const) {
  if (available) continue;
  if (onCi) throw new Error(`two-process test: no ${name}, required under CI=true`);
  console.warn(`\n[skipped] two provider processes: no ${name}\n`);
}

interface Backend {
  readonly name: string;
  readonly available: boolean;
  /** Starts the store; resolves the provider environment that points at it, and how to stop it. */
  start(): Promise<{ env: Record<string, string>; stop(): Promise<void> }>;
}

const backends: readonly Backend[] = [
  {
    name: 'Redis',
    available: redisAvailable,
    async start() {
      const redis = await RedisProcess.start();
      return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
    },
  },
  {
    name: 'PostgreSQL',
    available: postgresAvailable,
    async start() {
      const database = await PostgresDatabase.create();
      return { env: { DATABASE_URL: database.url }, stop: () => database.drop() };
    },
  },
];

/** A round-robin reverse proxy over `upstreams`; it records which one served each request. */
function roundRobin(upstreams: () => readonly number[]) {
  const served: { method: string; path: string; upstream: number }[] = [];
  let next = 0;
  const server = createServer((req, res) => {
    const ports = upstreams();
    const upstream = ports[next++ % ports.length] as number;
    served.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', upstream });
    const forward = httpRequest(
      { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  return { server, served };
}

describe.each(backends)('two provider processes behind a round-robin proxy, on $name', (backend) => {
  let store: Awaited<ReturnType<Backend['start']>> | undefined;
  let proxy: ReturnType<typeof roundRobin>;
  let base: string;
  const providers: ProviderProcess[] = [];

  beforeAll(async () => {
    if (!backend.available) return;
    store = await backend.start();
    proxy = roundRobin(() => providers.map((p) => p.port));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    for (let i = 0; i < 2; i++) {
      providers.push(new ProviderProcess({ env: { ...store.env, ISSUER: base, DEMO_CLIENT_PORT: '4000' } }));
    }
    await Promise.all(providers.map((p) => p.start()));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(providers.map((p) => p.dispose()));
    await new Promise(
      (resolve) => (proxy?.server as Server | undefined)?.close(resolve) ?? resolve(undefined),
    );
    await store?.stop();
  });

  test.skipIf(!backend.available)(
    'login on one, consent on the other, the token on either, /api/me and refresh after',
    async () => {
      const { go } = userAgent(base);
      const redirectUri = 'http://localhost:4000/callback';
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: demoClient.id,
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        state: 'two-processes',
        nonce: 'n-two-processes',
      });

      const start = await go(`/authorize?${query}`);
      expect(start.status).toBe(303);
      const loginPage = await (await go(start.headers.get('location') ?? '')).text();
      const loggedIn = await go('/login', {
        csrf: field(loginPage, 'csrf'),
        interaction: field(loginPage, 'interaction'),
        username: 'alice',
        password: 'wonderland',
      });
      expect(loggedIn.status).toBe(303);
      const consentPage = await go(loggedIn.headers.get('location') ?? '');
      expect(consentPage.status).toBe(200);
      const consentHtml = await consentPage.text();
      // One more request, so the consent lands on the other process than the login (round robin).
      await go('/.well-known/oauth-authorization-server');
      const approved = await go('/consent', {
        csrf: field(consentHtml, 'csrf'),
        interaction: field(consentHtml, 'interaction'),
        decision: 'approve',
      });
      const location = new URL(approved.headers.get('location') ?? '');
      expect(location.searchParams.get('state')).toBe('two-processes');
      const code = location.searchParams.get('code') ?? '';

      const basic = { authorization: `Basic ${btoa(`${demoClient.id}:${demoClient.secret}`)}` };
      const exchanged = await go(
        '/token',
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri },
        basic,
      );
      expect(exchanged.status).toBe(200);
      const tokens = (await exchanged.json()) as {
        access_token: string;
        refresh_token: string;
        id_token: string;
      };
      // Every process signs with the same key (the development key, generated once in the store):
      // the ID Token verifies against the JWKS, wherever each of the two requests landed.
      await go('/.well-known/oauth-authorization-server');
      const jwks = (await (await go('/jwks')).json()) as JSONWebKeySet;
      const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(jwks), {
        issuer: base,
        audience: demoClient.id,
      });
      expect(payload).toMatchObject({ sub: 'u-alice', nonce: 'n-two-processes' });
      expect(jwks.keys).toHaveLength(1);
      const me = await go('/api/me', undefined, { authorization: `Bearer ${tokens.access_token}` });
      expect(await me.json()).toMatchObject({ sub: 'u-alice' });
      // One more request, so the refresh lands on the other process than the exchange.
      await go('/.well-known/oauth-authorization-server');
      const refreshed = await go(
        '/token',
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        basic,
      );
      expect(refreshed.status).toBe(200);

      // Remembered on the other process too: the next request is approved at once, wherever it lands.
      const again = await go(`/authorize?${query}`);
      expect(new URL(again.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^kbc_/);

      const by = (method: string, path: string) =>
        proxy.served.filter((r) => r.method === method && r.path === path).map((r) => r.upstream);
      const [login] = by('POST', '/login');
      const [consent] = by('POST', '/consent');
      expect(login).toBeDefined();
      expect(consent, 'consent went to the other process than login').not.toBe(login);
      const [exchange, refresh] = by('POST', '/token');
      expect(refresh, 'the refresh went to the other process than the exchange').not.toBe(exchange);
      expect(new Set(proxy.served.map((r) => r.upstream)).size).toBe(2);
    },
    60_000,
  );
});

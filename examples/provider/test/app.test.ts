import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FetchHandler } from '@kraikub/adapter-http';
import { MemoryClientStore } from '@kraikub/adapter-memory';
import { type FetchPort, StorageUnavailableError, sha256Base64url, webCrypto } from '@kraikub/core';
import { createJoseSigner, generateSigningKey } from '@kraikub/jose';
import { describe, expect, test } from 'vitest';
import { createProviderApp, type ProviderAppOptions } from '../src/app.ts';
import { main as clientsCli } from '../src/clients-cli.ts';
import { loadSettings } from '../src/config.ts';
import { main as keysCli } from '../src/keys-cli.ts';
import { createApp } from '../src/main.ts';
import { serve } from '../src/node-server.ts';
import { openSigner } from '../src/signing.ts';
import { openStorage } from '../src/storage.ts';
import { MemoryAppStore } from '../src/store/app-store.ts';
import { demoUsers } from '../src/users.ts';
import { PostgresDatabase } from './support/processes.ts';

const ISSUER = 'http://localhost:3000';
const REDIRECT = 'http://localhost:4000/callback';
const SECRET = 'test-secret';
const users = await demoUsers();

async function app(issuer = ISSUER, extra: Partial<ProviderAppOptions> = {}) {
  const clients = new MemoryClientStore([
    {
      id: 'demo',
      name: 'Demo <App>',
      redirectUris: [REDIRECT],
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await sha256Base64url(webCrypto, SECRET),
      scopes: ['profile', 'email', 'offline_access'],
    },
  ]);
  return createProviderApp({ issuer, clients, users, loginLimit: { perAccount: 3, perIp: 5 }, ...extra });
}

/** A tiny browser at the address `ip`: keeps cookies, never follows redirects by itself. */
function browser(handler: FetchHandler, ip = '10.0.0.1') {
  let cookie = '';
  return async (path: string, init: RequestInit & { form?: Record<string, string> } = {}) => {
    const headers = new Headers(init.headers);
    if (cookie !== '') headers.set('cookie', cookie);
    let body = init.body;
    if (init.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    const response = await handler(
      new Request(new URL(path, ISSUER), { ...init, headers, body: body ?? null }),
      {
        remoteAddress: ip,
      },
    );
    const set = response.headers.get('set-cookie');
    if (set !== null) cookie = set.split(';')[0] ?? '';
    return response;
  };
}

const field = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
const authorizePath = (scope = 'profile email') =>
  `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo', redirect_uri: REDIRECT, scope, state: 'st' })}`;

/** authorize → login page → login → consent page → approve; returns the final redirect. */
async function signIn(go: ReturnType<typeof browser>, decision: 'approve' | 'deny' = 'approve') {
  const start = await go(authorizePath());
  const loginUrl = start.headers.get('location') ?? '';
  const login = await go(loginUrl);
  const loginHtml = await login.text();
  const afterLogin = await go('/login', {
    method: 'POST',
    form: {
      csrf: field(loginHtml, 'csrf'),
      interaction: field(loginHtml, 'interaction'),
      username: 'alice',
      password: 'wonderland',
    },
  });
  const consent = await go(afterLogin.headers.get('location') ?? '');
  const consentHtml = await consent.text();
  return {
    consentHtml,
    consent,
    done: await go('/consent', {
      method: 'POST',
      form: { csrf: field(consentHtml, 'csrf'), interaction: field(consentHtml, 'interaction'), decision },
    }),
  };
}

describe('the provider app', () => {
  test('the login page carries a CSRF token, a session cookie and clickjacking headers', async () => {
    const { handler } = await app();
    const go = browser(handler);
    const start = await go(authorizePath());
    expect(start.status).toBe(303);
    const login = await go(start.headers.get('location') ?? '');
    expect(login.status).toBe(200);
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await login.text();
    expect(html).toContain('Demo &lt;App&gt;');
    expect(field(html, 'csrf')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  test('cookies are Secure when served over https', async () => {
    const { handler } = await app('https://id.example.com');
    const response = await handler(new Request('https://id.example.com/login'));
    expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  test('login, consent, code, token and /api/me, end to end', async () => {
    const { handler } = await app();
    const go = browser(handler);
    const { consentHtml, done } = await signIn(go);
    expect(consentHtml).toContain('See your email address');
    expect(done.status).toBe(303);
    const location = new URL(done.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('st');
    const code = location.searchParams.get('code') ?? '';
    const token = await handler(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`demo:${SECRET}`)}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
      }),
    );
    const tokens = (await token.json()) as { access_token: string };
    const me = await handler(
      new Request(`${ISSUER}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(await me.json()).toEqual({
      sub: 'u-alice',
      name: 'Alice Liddell',
      preferred_username: 'alice',
      email: 'alice@example.com',
    });

    // Consent is remembered: the next authorization request is approved at once.
    const again = await go(authorizePath());
    expect(new URL(again.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^kbc_/);

    // Revoking the consent on the account page ends the grant: the token stops working.
    const account = await (await go('/account')).text();
    expect(account).toContain('Demo &lt;App&gt;');
    const revoked = await go('/account/revoke', {
      method: 'POST',
      form: { csrf: field(account, 'csrf'), client_id: 'demo' },
    });
    expect(revoked.status).toBe(303);
    const after = await handler(
      new Request(`${ISSUER}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(after.status).toBe(401);
    expect((await go(authorizePath())).headers.get('location')).toMatch(/^\/consent\?/);
  });

  test('a grant made through a remembered consent ends when the consent is revoked on the account page', async () => {
    const { handler } = await app();
    const go = browser(handler);
    await signIn(go);
    // Remembered: approved inside the interaction callback, without a consent page.
    const again = await go(authorizePath());
    const code = new URL(again.headers.get('location') ?? '').searchParams.get('code') ?? '';
    expect(code).toMatch(/^kbc_/);
    const tokens = (await (
      await handler(
        new Request(`${ISSUER}/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${btoa(`demo:${SECRET}`)}`,
          },
          body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
        }),
      )
    ).json()) as { access_token: string; refresh_token: string };
    const account = await (await go('/account')).text();
    await go('/account/revoke', {
      method: 'POST',
      form: { csrf: field(account, 'csrf'), client_id: 'demo' },
    });
    const me = await handler(
      new Request(`${ISSUER}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(me.status).toBe(401);
    const refreshed = await handler(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`demo:${SECRET}`)}`,
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
      }),
    );
    expect(refreshed.status).toBe(400);
    expect(await refreshed.json()).toMatchObject({ error: 'invalid_grant' });
  });

  test('a store outage is a 503 on every page: the branded HTML page for browsers, JSON for APIs, no-store', async () => {
    const down = () =>
      Promise.reject(new StorageUnavailableError('redis: connect ECONNREFUSED 10.0.0.9:6379'));
    const appStore = {
      get: down,
      set: down,
      setIfAbsent: down,
      delete: down,
      increment: down,
      addMember: down,
      removeMember: down,
      members: down,
    };
    const { handler } = await app(ISSUER, { appStore });
    const page = await handler(new Request(`${ISSUER}/login`, { headers: { accept: 'text/html' } }));
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const body = await page.text();
    expect(body).toContain('Kraikub');
    expect(body).toContain('temporarily_unavailable');
    expect(body).not.toContain('10.0.0.9');
    const api = await handler(
      new Request(`${ISSUER}/account`, {
        headers: { accept: 'application/json', cookie: `kraikub_session=${'s'.repeat(43)}` },
      }),
    );
    expect(api.status).toBe(503);
    expect(await api.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  test('denying consent redirects with access_denied', async () => {
    const { handler } = await app();
    const { done } = await signIn(browser(handler), 'deny');
    expect(new URL(done.headers.get('location') ?? '').searchParams.get('error')).toBe('access_denied');
  });

  test('a form without the session CSRF token is refused', async () => {
    const { handler } = await app();
    const go = browser(handler);
    await go('/login');
    const response = await go('/login', {
      method: 'POST',
      form: { csrf: 'forged', username: 'alice', password: 'wonderland' },
    });
    expect(response.status).toBe(403);
  });

  test('failed logins are limited per account and per IP', async () => {
    const { handler } = await app();
    const attempt = async (go: ReturnType<typeof browser>, username: string, password: string) => {
      const html = await (await go('/login')).text();
      return (await go('/login', { method: 'POST', form: { csrf: field(html, 'csrf'), username, password } }))
        .status;
    };
    const one = browser(handler, '10.0.0.7');
    expect(await attempt(one, 'bob', 'x')).toBe(401);
    expect(await attempt(one, 'bob', 'y')).toBe(401);
    expect(await attempt(one, 'bob', 'z')).toBe(401);
    // The account is locked, even with the right password and from another IP.
    expect(await attempt(browser(handler, '10.0.0.8'), 'bob', 'builder')).toBe(429);
    // Another account from the first IP still works, until the IP budget (5) is spent.
    expect(await attempt(one, 'alice', 'nope')).toBe(401);
    expect(await attempt(one, 'alice', 'nope')).toBe(401);
    expect(await attempt(one, 'alice', 'wonderland')).toBe(429);
    expect(await attempt(browser(handler, '10.0.0.9'), 'alice', 'wonderland')).toBe(303);
  });

  test('/api/me needs the profile scope', async () => {
    const { handler } = await app();
    expect((await handler(new Request(`${ISSUER}/api/me`))).status).toBe(401);
    expect(
      (await handler(new Request(`${ISSUER}/api/me`, { headers: { authorization: 'Bearer nope' } }))).status,
    ).toBe(401);
  });

  test('through node:http, failed logins are counted per socket address, not for everyone at once', async () => {
    const { app: provider } = await app();
    const http = serve(provider);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    /** A request from a given loopback address (Linux routes all of 127/8 to lo). */
    const from = (
      localAddress: string,
      path: string,
      method = 'GET',
      headers: Record<string, string> = {},
      body = '',
    ) =>
      new Promise<{ status: number; cookie: string; text: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, localAddress }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              cookie: (res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '',
              text,
            }),
          );
        });
        req.on('error', reject);
        req.end(body);
      });
    const login = async (localAddress: string, username: string, password: string) => {
      const page = await from(localAddress, '/login');
      const form = new URLSearchParams({ csrf: field(page.text, 'csrf'), username, password }).toString();
      const headers = { cookie: page.cookie, 'content-type': 'application/x-www-form-urlencoded' };
      return (await from(localAddress, '/login', 'POST', headers, form)).status;
    };
    try {
      // perIp is 5: five failures on five accounts from one address use up that address only.
      for (const name of ['u1', 'u2', 'u3', 'u4', 'u5'])
        expect(await login('127.0.0.2', name, 'nope')).toBe(401);
      expect(await login('127.0.0.2', 'alice', 'wonderland')).toBe(429);
      expect(await login('127.0.0.3', 'alice', 'wonderland')).toBe(303);
    } finally {
      http.close();
    }
  });

  test('request logs are one JSON line each, with no query, token or secret', async () => {
    const lines: string[] = [];
    const { app: provider } = await app(ISSUER, { log: (line) => lines.push(line) });
    const http = serve(provider);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      await fetch(`${base}${authorizePath()}`, { redirect: 'manual' });
      await fetch(`${base}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`demo:${SECRET}`)}`,
        },
        body: 'grant_type=authorization_code&code=kbc_secret-looking-code',
      });
      await expect.poll(() => lines.length).toBe(2);
      const [authz, token] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(authz).toMatchObject({ method: 'GET', path: '/authorize', status: 303, client: 'demo' });
      expect(token).toMatchObject({ method: 'POST', path: '/token', status: 400, client: 'demo' });
      expect(lines.join('\n')).not.toMatch(/state=|kbc_|test-secret|Basic/);
    } finally {
      http.close();
    }
  });
});

describe('OpenID Connect in the app', () => {
  async function openidApp() {
    const clients = new MemoryClientStore([
      {
        id: 'rp',
        name: 'Relying Party',
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: ['http://localhost:4000/'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(webCrypto, SECRET),
        scopes: ['openid', 'profile', 'email'],
      },
    ]);
    return createProviderApp({
      issuer: ISSUER,
      clients,
      users,
      signer: await createJoseSigner({ keys: { keys: [await generateSigningKey()] } }),
    });
  }

  test('an unhinted logout asks first; only the form with the session CSRF token signs out', async () => {
    const { handler } = await openidApp();
    const go = browser(handler);
    // Signed in (the cookie is kept by the tiny browser).
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'rp',
      redirect_uri: REDIRECT,
      scope: 'openid',
      state: 'st',
    });
    const login = await (await go((await go(`/authorize?${query}`)).headers.get('location') ?? '')).text();
    await go('/login', {
      method: 'POST',
      form: {
        csrf: field(login, 'csrf'),
        interaction: field(login, 'interaction'),
        username: 'alice',
        password: 'wonderland',
      },
    });
    const logout = `/end-session?${new URLSearchParams({
      client_id: 'rp',
      post_logout_redirect_uri: 'http://localhost:4000/',
      state: 'bye',
    })}`;
    const asked = await go(logout);
    expect(asked.status).toBe(200);
    expect(asked.headers.get('cache-control')).toBe('no-store');
    const page = await asked.text();
    expect(page).toContain('Sign out of Kraikub?');
    expect(field(page, 'post_logout_redirect_uri')).toBe('http://localhost:4000/');

    // A cross-site POST without the token is asked again, not signed out.
    const forged = await go('/end-session', {
      method: 'POST',
      form: { client_id: 'rp', post_logout_redirect_uri: 'http://localhost:4000/', state: 'bye' },
    });
    expect(forged.status).toBe(200);
    expect(await forged.text()).toContain('Sign out of Kraikub?');

    const confirmed = await go('/end-session', {
      method: 'POST',
      form: {
        csrf: field(page, 'csrf'),
        client_id: 'rp',
        post_logout_redirect_uri: 'http://localhost:4000/',
        state: 'bye',
      },
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('http://localhost:4000/?state=bye');
    expect(confirmed.headers.get('set-cookie')).toMatch(/kraikub_session=;.*Max-Age=0/i);
    // The session is gone on the server too: the next sign-in shows the login page again.
    const next = await go(`/authorize?${query}`);
    expect(new URL(next.headers.get('location') ?? '', ISSUER).pathname).toBe('/login');
  });

  test("a logout hinted with another user's ID Token asks first (RP-Initiated Logout section 2)", async () => {
    const { handler } = await openidApp();
    /** Signs `who` in through the pages and returns their ID Token. */
    const idTokenOf = async (go: ReturnType<typeof browser>, who: { username: string; password: string }) => {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: 'rp',
        redirect_uri: REDIRECT,
        scope: 'openid',
        state: 'st',
      });
      const login = await (await go((await go(`/authorize?${query}`)).headers.get('location') ?? '')).text();
      const signedIn = await go('/login', {
        method: 'POST',
        form: { csrf: field(login, 'csrf'), interaction: field(login, 'interaction'), ...who },
      });
      const consent = await (await go(signedIn.headers.get('location') ?? '')).text();
      const approved = await go('/consent', {
        method: 'POST',
        form: {
          csrf: field(consent, 'csrf'),
          interaction: field(consent, 'interaction'),
          decision: 'approve',
        },
      });
      const code = new URL(approved.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const tokens = await go('/token', {
        method: 'POST',
        headers: { authorization: `Basic ${btoa(`rp:${SECRET}`)}` },
        form: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
      });
      return ((await tokens.json()) as { id_token: string }).id_token;
    };
    const alice = browser(handler, '10.0.0.1');
    const bob = browser(handler, '10.0.0.2');
    const aliceToken = await idTokenOf(alice, { username: 'alice', password: 'wonderland' });
    const bobToken = await idTokenOf(bob, { username: 'bob', password: 'builder' });
    const logout = (hint: string) =>
      `/end-session?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: 'http://localhost:4000/' })}`;

    const asked = await alice(logout(bobToken));
    expect(asked.status, "bob's hint does not sign alice out").toBe(200);
    expect(await asked.text()).toContain('Sign out of Kraikub?');
    const done = await alice(logout(aliceToken));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('http://localhost:4000/');
  });

  test('the consent page does not list openid as a permission; login_hint fills the username', async () => {
    const { handler } = await openidApp();
    const go = browser(handler);
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'rp',
      redirect_uri: REDIRECT,
      scope: 'openid email',
      state: 'st',
      login_hint: 'alice',
    });
    const login = await (await go((await go(`/authorize?${query}`)).headers.get('location') ?? '')).text();
    expect(login).toMatch(/name="username"[^>]*value="alice"/);
    const afterLogin = await go('/login', {
      method: 'POST',
      form: {
        csrf: field(login, 'csrf'),
        interaction: field(login, 'interaction'),
        username: 'alice',
        password: 'wonderland',
      },
    });
    const consent = await (await go(afterLogin.headers.get('location') ?? '')).text();
    expect(consent).toContain('<li><code>email</code>');
    expect(consent).not.toContain('<code>openid</code>');
  });

  test('prompt=consent shows the consent page even when consent is remembered (OpenID Connect Core 3.1.2.1)', async () => {
    const { handler } = await openidApp();
    const go = browser(handler);
    const authorize = (extra: Record<string, string> = {}) =>
      `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'rp', redirect_uri: REDIRECT, scope: 'openid email', state: 'st', ...extra })}`;
    const login = await (await go((await go(authorize())).headers.get('location') ?? '')).text();
    const afterLogin = await go('/login', {
      method: 'POST',
      form: {
        csrf: field(login, 'csrf'),
        interaction: field(login, 'interaction'),
        username: 'alice',
        password: 'wonderland',
      },
    });
    const consent = await (await go(afterLogin.headers.get('location') ?? '')).text();
    await go('/consent', {
      method: 'POST',
      form: { csrf: field(consent, 'csrf'), interaction: field(consent, 'interaction'), decision: 'approve' },
    });
    // Remembered: straight back to the client with a code.
    const again = await go(authorize());
    expect(new URL(again.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^kbc_/);
    // prompt=consent: the consent page again, though the session and the consent are there.
    const asked = await go(authorize({ prompt: 'consent' }));
    expect(new URL(asked.headers.get('location') ?? '', ISSUER).pathname).toBe('/consent');
  });
});

describe('resources (RFC 8707) in the app', () => {
  test('the consent page names the resource; a consent for one API is no consent for another', async () => {
    const { handler } = await app(ISSUER, {
      resourceServers: [{ resource: 'https://api.example.com' }, { resource: 'https://mcp.example.com/mcp' }],
    });
    const go = browser(handler);
    const authorize = (resource: string) =>
      `/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo', redirect_uri: REDIRECT, scope: 'profile', state: 'st', resource })}`;
    const login = await (
      await go((await go(authorize('https://api.example.com'))).headers.get('location') ?? '')
    ).text();
    const signedIn = await go('/login', {
      method: 'POST',
      form: {
        csrf: field(login, 'csrf'),
        interaction: field(login, 'interaction'),
        username: 'alice',
        password: 'wonderland',
      },
    });
    const consent = await (await go(signedIn.headers.get('location') ?? '')).text();
    expect(consent).toContain('<code class="resource">https://api.example.com</code>');
    const approved = await go('/consent', {
      method: 'POST',
      form: { csrf: field(consent, 'csrf'), interaction: field(consent, 'interaction'), decision: 'approve' },
    });
    expect(new URL(approved.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^kbc_/);

    // The same API again: remembered, straight back with a code.
    const again = await go(authorize('https://api.example.com'));
    expect(new URL(again.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^kbc_/);
    // Another resource: the consent page again.
    const other = await go(authorize('https://mcp.example.com/mcp'));
    expect(new URL(other.headers.get('location') ?? '', ISSUER).pathname).toBe('/consent');
  });
});

describe('clients that register themselves, in the app', () => {
  test('a metadata document client: the consent page names the URL it describes itself at', async () => {
    const url = 'https://tools.example.net/oauth/client.json';
    const document = {
      client_id: url,
      client_name: 'Kraikub Official',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    };
    const fetch: FetchPort = {
      fetch: async (asked) => ({
        status: asked === url ? 200 : 404,
        contentType: 'application/json',
        body: JSON.stringify(document),
      }),
    };
    const { handler } = await app(ISSUER, { clientIdMetadataDocuments: { fetch } });
    const discovery = await (
      await handler(new Request(`${ISSUER}/.well-known/oauth-authorization-server`))
    ).json();
    expect(discovery.client_id_metadata_document_supported).toBe(true);
    const go = browser(handler);
    const start = await go(
      `/authorize?${new URLSearchParams({ response_type: 'code', client_id: url, redirect_uri: REDIRECT, scope: 'profile', state: 'st', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`,
    );
    const login = await (await go(start.headers.get('location') ?? '')).text();
    const signedIn = await go('/login', {
      method: 'POST',
      form: {
        csrf: field(login, 'csrf'),
        interaction: field(login, 'interaction'),
        username: 'alice',
        password: 'wonderland',
      },
    });
    const consent = await (await go(signedIn.headers.get('location') ?? '')).text();
    // The name is the client's own claim; the URL's host is the part it cannot fake.
    expect(consent).toContain('Kraikub Official wants to access your account');
    expect(consent).toContain(`<code class="client-id">${url}</code>`);
    expect(consent).toContain('<strong>tools.example.net</strong>');
  });

  test('dynamic registration: /register when turned on, nowhere otherwise', async () => {
    const body = JSON.stringify({
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      client_name: 'CLI',
    });
    const post = (handler: FetchHandler) =>
      handler(
        new Request(`${ISSUER}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
      );
    const on = await app(ISSUER, { registration: {} });
    const registered = await post(on.handler);
    expect(registered.status).toBe(201);
    expect((await registered.json()).client_name).toBe('CLI');
    const off = await app(ISSUER);
    expect((await post(off.handler)).status).toBe(404);
  });

  test('REGISTRATION=token: /register needs REGISTRATION_TOKEN as its bearer token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kraikub-registration-'));
    const settings = loadSettings({
      REGISTRATION: 'token',
      REGISTRATION_TOKEN: 'an-initial-access-token',
      CLIENTS_FILE: join(dir, 'clients.json'),
      SIGNING_KEYS_FILE: join(dir, 'keys.json'),
      LOG_REQUESTS: 'false',
    });
    const storage = await openStorage(settings, () => undefined);
    try {
      const { handler } = await createApp(settings, storage);
      const register = (authorization?: string) =>
        handler(
          new Request(`${settings.issuer}/register`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(authorization === undefined ? {} : { authorization }),
            },
            body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
          }),
        );
      expect((await register()).status).toBe(401);
      expect((await register('Bearer an-initial-access-tokeX')).status).toBe(401);
      expect((await register('Bearer an-initial-access-token-longer')).status).toBe(401);
      expect((await register('Bearer an-initial-access-token')).status).toBe(201);
    } finally {
      await storage.close();
    }
  });

  test('REGISTRATION and CLIENT_ID_METADATA_DOCUMENTS settings, validated', () => {
    expect(loadSettings({ REGISTRATION: 'open', CLIENT_ID_METADATA_DOCUMENTS: 'false' })).toMatchObject({
      registration: 'open',
      clientIdMetadataDocuments: false,
    });
    expect(() => loadSettings({ REGISTRATION: 'token' })).toThrow(/REGISTRATION_TOKEN/);
    expect(() => loadSettings({ REGISTRATION: 'sometimes' })).toThrow(/environment variable REGISTRATION/);
    expect(
      loadSettings({ REGISTRATION: 'token', REGISTRATION_TOKEN: 'a-long-initial-token' }).registration,
    ).toBe('token');
  });
});

describe('configuration', () => {
  test('environment variables and a JSON file, validated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kraikub-config-'));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ port: 4100, demo: false, logRequests: 'false' }));
    const settings = loadSettings({ KRAIKUB_CONFIG: file, HOST: '127.0.0.1' });
    expect(settings).toMatchObject({
      port: 4100,
      host: '127.0.0.1',
      demo: false,
      issuer: 'http://127.0.0.1:4100',
    });
    expect(() => loadSettings({ PORT: 'eighty' })).toThrow(/environment variable PORT/);
    expect(() => loadSettings({ ISSUER: 'not a url' })).toThrow(/environment variable ISSUER/);
    await writeFile(file, JSON.stringify({ prot: 1 }));
    expect(() => loadSettings({ KRAIKUB_CONFIG: file })).toThrow(/prot/);
  });
});

describe('clients add', () => {
  test('prints the secret once and stores only its hash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kraikub-clients-'));
    const file = join(dir, 'clients.json');
    const run = promisify(execFile);
    const cli = new URL('../src/clients-cli.ts', import.meta.url).pathname;
    const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
    // From the example's directory, as `pnpm clients` runs it: its tsconfig maps @kraikub/* to the
    // sources, so the CLI needs no build.
    const cwd = new URL('..', import.meta.url).pathname;
    const { stdout } = await run(
      tsx,
      [cli, 'add', '--name', 'My App', '--redirect-uri', 'https://app.example/cb', '--id', 'my-app'],
      { cwd, env: { ...process.env, CLIENTS_FILE: file } },
    );
    const secret = /client_secret: (\S+)/.exec(stdout)?.[1] ?? '';
    expect(secret).toMatch(/^kbs_/);
    const stored = await readFile(file, 'utf8');
    expect(stored).not.toContain(secret);
    const [client] = JSON.parse(stored) as { id: string; secretHash: string }[];
    expect(client).toMatchObject({ id: 'my-app', secretHash: await sha256Base64url(webCrypto, secret) });
    await expect(
      run(tsx, [cli, 'add', '--name', 'Bad', '--redirect-uri', 'http://evil.example/cb'], {
        cwd,
        env: { ...process.env, CLIENTS_FILE: file },
      }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('must use https') });

    // Without CLIENTS_FILE the file goes to the user's configuration directory, never into the repository.
    const home = await mkdtemp(join(tmpdir(), 'kraikub-home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.CLIENTS_FILE;
    delete env.XDG_CONFIG_HOME;
    await run(tsx, [cli, 'add', '--name', 'Home App', '--redirect-uri', 'https://app.example/cb'], {
      cwd,
      env,
    });
    const saved = JSON.parse(
      await readFile(join(home, '.config', 'kraikub', 'clients.json'), 'utf8'),
    ) as unknown[];
    expect(saved).toHaveLength(1);
  }, 30_000);
});

describe('the clients CLI', () => {
  /** Runs the CLI in process against a clients file (or REDIS_URL); returns its exit code and output. */
  async function cli(argv: string[], env: Record<string, string>) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await clientsCli(argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: { HOME: tmpdir(), ...env },
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('--help prints the usage and exits 0; no command or a bad one exits 2', async () => {
    const help = await cli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/rotate-secret CLIENT_ID/);
    expect((await cli(['add', '--help'], {})).code).toBe(0);
    expect((await cli([], {})).code).toBe(2);
    expect((await cli(['frobnicate'], {})).code).toBe(2);
    expect((await cli(['add', '--name', 'x'], {})).code).toBe(2);
  });

  test('add with grant types and default scopes, list, rotate-secret, remove', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kraikub-cli-'));
    const env = { CLIENTS_FILE: join(dir, 'clients.json') };
    const added = await cli(
      [
        'add',
        '--id',
        'svc',
        '--name',
        'Service',
        '--redirect-uri',
        'https://svc.example/cb',
        '--grant-type',
        'authorization_code',
        '--grant-type',
        'client_credentials',
        '--scope',
        'profile email',
        '--default-scope',
        'profile',
      ],
      env,
    );
    expect(added.code).toBe(0);
    const first = /client_secret: (\S+)/.exec(added.out)?.[1] ?? '';
    expect((await cli(['list'], env)).out).toBe(
      'svc\tService\tclient_secret_basic\tauthorization_code,client_credentials\tprofile email\thttps://svc.example/cb',
    );
    const [stored] = JSON.parse(await readFile(env.CLIENTS_FILE, 'utf8')) as {
      defaultScopes: string[];
      secretHash: string;
    }[];
    expect(stored?.defaultScopes).toEqual(['profile']);
    expect(stored?.secretHash).toBe(await sha256Base64url(webCrypto, first));

    const rotated = await cli(['rotate-secret', 'svc'], env);
    expect(rotated.code).toBe(0);
    const second = /client_secret: (\S+)/.exec(rotated.out)?.[1] ?? '';
    expect(second).toMatch(/^kbs_/);
    expect(second).not.toBe(first);
    const [after] = JSON.parse(await readFile(env.CLIENTS_FILE, 'utf8')) as { secretHash: string }[];
    expect(after?.secretHash).toBe(await sha256Base64url(webCrypto, second));

    expect(
      (await cli(['add', '--id', 'svc', '--name', 'Again', '--redirect-uri', 'https://svc.example/cb'], env))
        .code,
    ).toBe(1);
    expect(
      (
        await cli(
          ['add', '--id', 'pub', '--public', '--name', 'Pub', '--redirect-uri', 'http://127.0.0.1/cb'],
          env,
        )
      ).code,
    ).toBe(0);
    expect((await cli(['rotate-secret', 'pub'], env)).err).toMatch(/public client/);
    expect((await cli(['remove', 'svc'], env)).code).toBe(0);
    expect((await cli(['remove', 'svc'], env)).code).toBe(1);
    expect((await cli(['list'], env)).out).toMatch(/^pub\t/);
  });
});

describe('the clients CLI on PostgreSQL (DATABASE_URL)', async () => {
  const available = await PostgresDatabase.available();
  if (!available && process.env.CI === 'true') throw new Error('no PostgreSQL: required under CI=true');
  test.skipIf(!available)('add with a post-logout redirect URI, list, remove', async () => {
    const database = await PostgresDatabase.create();
    try {
      const io = { out: () => undefined, err: () => undefined, env: { DATABASE_URL: database.url } };
      const lines: string[] = [];
      const add = [
        'add',
        '--id',
        'rp',
        '--name',
        'Relying Party',
        '--redirect-uri',
        'https://rp.example/cb',
        '--post-logout-redirect-uri',
        'https://rp.example/',
      ];
      expect(await clientsCli(add, { ...io, out: (line) => lines.push(line) })).toBe(0);
      expect(lines.join('\n')).toMatch(/every provider instance sees it/);
      // What the provider reads at start: the same database, through its own store.
      const storage = await openStorage(loadSettings({ DATABASE_URL: database.url }), () => undefined);
      try {
        expect(await storage.clients.findClient('rp')).toMatchObject({
          postLogoutRedirectUris: ['https://rp.example/'],
          scopes: ['openid', 'profile', 'email', 'offline_access'],
        });
      } finally {
        await storage.close();
      }
      const listed: string[] = [];
      expect(await clientsCli(['list'], { ...io, out: (line) => listed.push(line) })).toBe(0);
      expect(listed).toEqual([expect.stringMatching(/^rp\tRelying Party\t/)]);
      expect(await clientsCli(['remove', 'rp'], io)).toBe(0);
      expect(await clientsCli(['remove', 'rp'], io)).toBe(1);
    } finally {
      await database.drop();
    }
  });
});

describe('the keys CLI', () => {
  async function keys(argv: string[], env: Record<string, string>) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await keysCli(argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: { HOME: tmpdir(), ...env },
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('a rotation: add (published only), activate, retire; the provider signs with the first key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kraikub-keys-'));
    const env = { SIGNING_KEYS_FILE: join(dir, 'keys.json') };
    expect((await openSigner(loadSettings({}), new MemoryAppStore())).source).toMatch(/development key/);
    const kids = async () => {
      const { signer } = await openSigner(loadSettings(env), new MemoryAppStore(), () => undefined);
      return { signing: signer.kid, published: (await signer.publicKeys()).keys.map((k) => k.kid) };
    };
    expect((await keys(['add', '--kid', 'one'], env)).code).toBe(0);
    expect((await stat(env.SIGNING_KEYS_FILE)).mode & 0o777).toBe(0o600);
    expect((await keys(['add', '--kid', 'two', '--alg', 'RS256'], env)).out).toMatch(/published only/);
    expect((await keys(['list'], env)).out).toBe('one\tES256\tsigning\ntwo\tRS256\tpublished');
    expect(await kids()).toEqual({ signing: 'one', published: ['one', 'two'] });

    expect((await keys(['retire', 'one'], env)).code, 'the signing key cannot be retired').toBe(1);
    expect((await keys(['activate', 'two'], env)).code).toBe(0);
    expect(await kids()).toEqual({ signing: 'two', published: ['two', 'one'] });
    expect((await keys(['retire', 'one'], env)).code).toBe(0);
    expect(await kids()).toEqual({ signing: 'two', published: ['two'] });

    expect((await keys(['add', '--kid', 'two'], env)).code, 'a kid is unique').toBe(1);
    expect((await keys(['retire', 'nope'], env)).code).toBe(1);
    expect((await keys(['add', '--alg', 'HS256'], env)).code).toBe(2);
    expect((await keys(['activate'], env)).code).toBe(2);
    expect((await keys(['list'], {})).err).toMatch(/Set SIGNING_KEYS_FILE/);
    expect((await keys([], env)).code).toBe(2);
    expect((await keys(['--help'], env)).out).toMatch(/pnpm keys activate KID/);
  });
});

describe('start-up failures', () => {
  const main = new URL('../src/main.ts', import.meta.url).pathname;
  const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;
  const cwd = new URL('..', import.meta.url).pathname;
  const run = promisify(execFile);
  const startWith = (env: Record<string, string>) =>
    run(tsx, [main], {
      cwd,
      timeout: 20_000,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        DEMO: 'false',
        CLIENTS_FILE: join(tmpdir(), 'kraikub-none.json'),
        ...env,
      },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

  test('a port in use is one clear line, exit code 1, no stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const { code, stderr } = await startWith({ PORT: String(port) });
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `Cannot listen on 127.0.0.1:${port}: the port is in use. Stop the other process or set PORT.`,
      );
    } finally {
      busy.close();
    }
  }, 30_000);

  test('an unreachable Redis says what it waited for, then one clear line, exit code 1', async () => {
    const { code, stderr } = await startWith({
      PORT: '0',
      REDIS_URL: 'redis://:hunter2@127.0.0.1:1',
      STORE_WAIT_SECONDS: '1',
    });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toEqual([
      'Waiting for Redis at redis://:***@127.0.0.1:1 (up to 1 s)...',
      expect.stringMatching(
        /^Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(not connected after 1000 ms: .*ECONNREFUSED.*\)\. Start Redis/,
      ),
    ]);
    expect(stderr).not.toContain('hunter2');
  }, 30_000);
});

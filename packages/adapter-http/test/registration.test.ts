import { fixedWindowRateLimiter } from '@kraikub/adapter-http';
import { describe, expect, test } from 'vitest';
import { ISSUER, type Provider, provider, type Transport } from './support.ts';

const metadata = {
  client_name: 'MCP Inspector',
  redirect_uris: ['http://localhost:6274/oauth/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'profile',
};

const postJson = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

async function register(p: Provider, body: unknown = metadata, headers: Record<string, string> = {}) {
  return p.send('/register', postJson(body, headers));
}

describe.each<Transport>(['fetch', 'node'])('client registration over HTTP (%s)', (transport) => {
  test('RFC 7591 §3.2.1: 201 with the client information, no-store, readable cross-origin; metadata names the endpoint', async () => {
    const p = await provider(transport, { registration: {} });
    try {
      const discovery = await (await p.send('/.well-known/oauth-authorization-server')).json();
      expect(discovery.registration_endpoint).toBe(`${ISSUER}/register`);
      const response = await register(p);
      expect(response.status).toBe(201);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      const info = await response.json();
      expect(info).toMatchObject({
        client_name: 'MCP Inspector',
        token_endpoint_auth_method: 'none',
        scope: 'profile',
      });
      expect(info.registration_client_uri).toBe(`${ISSUER}/register/${info.client_id}`);
      const preflight = await p.send('/register', {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    } finally {
      await p.close();
    }
  });

  test('RFC 7591 §3.2.2: bad metadata is a 400 with the RFC error; bad requests are 400/405/413', async () => {
    const p = await provider(transport, { registration: {} });
    try {
      const bad = await register(p, { ...metadata, redirect_uris: ['http://evil.example/cb'] });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('cache-control')).toBe('no-store');
      expect((await bad.json()).error).toBe('invalid_redirect_uri');
      const notJson = await register(p, '{"client_name":');
      expect(notJson.status).toBe(400);
      expect((await notJson.json()).error).toBe('invalid_client_metadata');
      const form = await p.send('/register', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'client_name=x',
      });
      expect(form.status).toBe(400);
      expect((await form.json()).error).toBe('invalid_request');
      const get = await p.send('/register');
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toContain('POST');
      const huge = await register(p, { ...metadata, client_name: 'x'.repeat(100_000) });
      expect(huge.status).toBe(413);
    } finally {
      await p.close();
    }
  });

  test('RFC 7592: read, update and delete with the registration access token; 401 Bearer otherwise', async () => {
    const p = await provider(transport, { registration: {} });
    try {
      const info = await (await register(p)).json();
      const path = `/register/${info.client_id}`;
      const as = (token: string) => ({ authorization: `Bearer ${token}` });

      const anonymous = await p.send(path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      const wrong = await p.send(path, { headers: as('kbr_wrong') });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await wrong.json()).error).toBe('invalid_token');
      const unknown = await p.send('/register/kbc_nobody', { headers: as(info.registration_access_token) });
      expect(unknown.status).toBe(401);

      const read = await p.send(path, { headers: as(info.registration_access_token) });
      expect(read.status).toBe(200);
      const current = await read.json();
      expect(current.client_id).toBe(info.client_id);

      const update = await p.send(path, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...as(current.registration_access_token) },
        body: JSON.stringify({ ...metadata, client_id: info.client_id, client_name: 'Renamed' }),
      });
      expect(update.status).toBe(200);
      const updated = await update.json();
      expect(updated.client_name).toBe('Renamed');

      const patch = await p.send(path, { method: 'PATCH', headers: as(updated.registration_access_token) });
      expect(patch.status).toBe(405);

      const deleted = await p.send(path, {
        method: 'DELETE',
        headers: as(updated.registration_access_token),
      });
      expect(deleted.status).toBe(204);
      expect(await p.server.readClient(info.client_id, updated.registration_access_token)).toMatchObject({
        error: { error: 'invalid_token' },
      });
      const again = await p.send(path, { method: 'DELETE', headers: as(updated.registration_access_token) });
      expect(again.status).toBe(401);
    } finally {
      await p.close();
    }
  });

  test('RFC 7591 §3: protected registration answers 401 without a valid initial access token', async () => {
    const p = await provider(transport, { registration: { initialAccessToken: (t) => t === 'iat-123' } });
    try {
      expect((await register(p)).status).toBe(401);
      const wrong = await register(p, metadata, { authorization: 'Bearer iat-999' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await register(p, metadata, { authorization: 'Bearer iat-123' })).status).toBe(201);
    } finally {
      await p.close();
    }
  });

  test('registration is rate limited per source: 429 with Retry-After, nothing stored', async () => {
    const p = await provider(transport, {
      registration: {},
      handler: { registrationRateLimit: fixedWindowRateLimiter({ max: 3, windowSeconds: 60 }) },
    });
    try {
      for (let i = 0; i < 3; i++) expect((await register(p)).status).toBe(201);
      const limited = await register(p);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('cache-control')).toBe('no-store');
    } finally {
      await p.close();
    }
  });

  test('without registration there is no endpoint', async () => {
    const p = await provider(transport);
    try {
      expect((await register(p)).status).toBe(404);
      expect((await p.send('/register/anything')).status).toBe(404);
    } finally {
      await p.close();
    }
  });
});

describe('fixedWindowRateLimiter', () => {
  test('counts per source in a window, then forgets; remembers a bounded number of sources', () => {
    let now = 0;
    const limit = fixedWindowRateLimiter({ max: 2, windowSeconds: 10, maxSources: 2, now: () => now });
    expect(limit('a')).toBe(true);
    expect(limit('a')).toBe(true);
    expect(limit('a')).toEqual({ retryAfterSeconds: 10 });
    expect(limit('b')).toBe(true);
    now = 9_500;
    expect(limit('a')).toEqual({ retryAfterSeconds: 1 });
    now = 10_000;
    expect(limit('a')).toBe(true);
    // A third source pushes out the oldest window (b's): b starts afresh.
    expect(limit('c')).toBe(true);
    expect(limit('b')).toBe(true);
    expect(limit('b')).toBe(true);
    expect(limit('b')).toEqual({ retryAfterSeconds: 10 });
  });
});

import { StorageUnavailableError } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { requireScopes, verifyBearer, verifyBearerHeader } from '../src/index.ts';
import { basic, codeFor, exchange, form, provider, SECRET } from './support.ts';

describe('verifyBearer (RFC 6750)', () => {
  async function tokens() {
    const p = await provider('fetch');
    const body = (await (await exchange(p, await codeFor(p))).json()) as { access_token: string };
    return { p, token: body.access_token };
  }
  const at = (authorization?: string) =>
    new Request('http://api.example/me', authorization === undefined ? {} : { headers: { authorization } });

  test('RFC 6750 §3: a valid token with the scope passes', async () => {
    const { p, token } = await tokens();
    const auth = await verifyBearer(p.server, at(`Bearer ${token}`), { scopes: ['profile'] });
    expect(auth.ok && auth.token).toMatchObject({
      subject: 'alice',
      clientId: 'web',
      scopes: ['profile', 'email'],
    });
  });

  test('RFC 6750 §3.1: no token is 401 with a challenge and no error code', async () => {
    const { p } = await tokens();
    const auth = await verifyBearer(p.server, at());
    expect(auth.ok).toBe(false);
    if (auth.ok) return;
    expect(auth.response.status).toBe(401);
    expect(auth.response.headers.get('www-authenticate')).toBe(`Bearer realm="${p.server.config.issuer}"`);
  });

  test.each([
    ['an unknown token', `Bearer kba_${'A'.repeat(22)}.${'B'.repeat(43)}`],
    ['junk', 'Bearer junk'],
    ['a refresh-shaped token', `Bearer kbr_${'A'.repeat(22)}.${'B'.repeat(43)}`],
  ])('RFC 6750 §3.1: %s is 401 invalid_token', async (_name, header) => {
    const { p } = await tokens();
    const auth = await verifyBearer(p.server, at(header));
    if (auth.ok) expect.fail('accepted');
    expect(auth.response.status).toBe(401);
    expect(auth.response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  test('RFC 6750 §3.1: a revoked token is 401 invalid_token', async () => {
    const { p, token } = await tokens();
    await p.send('/revoke', form({ token }, { authorization: basic('web', SECRET) }));
    const auth = await verifyBearer(p.server, at(`Bearer ${token}`));
    expect(auth.ok || auth.response.status).toBe(401);
  });

  test('RFC 6750 §3.1: a missing scope is 403 insufficient_scope naming the scope', async () => {
    const { p, token } = await tokens();
    const route = requireScopes(p.server, ['admin'], () => new Response('secret'));
    const response = await route(at(`Bearer ${token}`));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(response.headers.get('www-authenticate')).toContain('scope="admin"');
    const ok = await requireScopes(
      p.server,
      ['email'],
      (_r, info) => new Response(info.subject),
    )(at(`Bearer ${token}`));
    expect(await ok.text()).toBe('alice');
  });

  test('RFC 6750 §3.1: a malformed Bearer header is 400 invalid_request', async () => {
    const { p } = await tokens();
    const auth = await verifyBearer(p.server, at('Bearer a b'));
    expect(auth.ok || auth.response.status).toBe(400);
  });
});

describe('verifyBearerHeader: the same check without a Request (node:http, Express, Fastify)', () => {
  async function tokens() {
    const p = await provider('fetch');
    const body = (await (await exchange(p, await codeFor(p))).json()) as { access_token: string };
    return { p, token: body.access_token };
  }

  test('RFC 6750 §3: a valid token with the scope passes, with the same info as verifyBearer', async () => {
    const { p, token } = await tokens();
    const auth = await verifyBearerHeader(p.server, `Bearer ${token}`, { scopes: ['profile'] });
    const fetched = await verifyBearer(
      p.server,
      new Request('http://api.example/me', { headers: { authorization: `Bearer ${token}` } }),
      { scopes: ['profile'] },
    );
    expect(auth.ok && auth.token).toMatchObject({ subject: 'alice', clientId: 'web' });
    expect(auth).toEqual(fetched);
  });

  test.each([
    ['no header', undefined, 401, undefined],
    ['an empty header', '', 401, undefined],
    ['junk', 'Bearer junk', 401, 'invalid_token'],
    ['a malformed header', 'Bearer a b', 400, 'invalid_request'],
    ['an unknown token', `Bearer kba_${'A'.repeat(22)}.${'B'.repeat(43)}`, 401, 'invalid_token'],
  ])(
    'RFC 6750 §3.1: %s answers as verifyBearer does, as plain data with no-store',
    async (_name, header, status, error) => {
      const { p } = await tokens();
      const options = { scopes: ['profile'] };
      const auth = await verifyBearerHeader(p.server, header, options);
      if (auth.ok) expect.fail('accepted');
      expect(auth.status).toBe(status);
      expect(auth.headers['cache-control']).toBe('no-store');
      const challenge = auth.headers['www-authenticate'] as string;
      expect(challenge).toContain('scope="profile"');
      if (error === undefined) expect(challenge).not.toContain('error=');
      else expect(JSON.parse(auth.body)).toMatchObject({ error });
      const fetched = await verifyBearer(
        p.server,
        new Request(
          'http://api.example/me',
          header === undefined ? {} : { headers: { authorization: header } },
        ),
        options,
      );
      if (fetched.ok) expect.fail('accepted through Fetch');
      expect(fetched.response.status).toBe(status);
      expect(fetched.response.headers.get('www-authenticate')).toBe(challenge);
      expect(await fetched.response.text()).toBe(auth.body);
    },
  );

  test('RFC 6750 §3.1: a missing scope is 403 insufficient_scope', async () => {
    const { p, token } = await tokens();
    const auth = await verifyBearerHeader(p.server, `Bearer ${token}`, { scopes: ['profile', 'admin'] });
    if (auth.ok) expect.fail('accepted');
    expect(auth.status).toBe(403);
    expect(auth.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  test('a verifier that fails is a 503 with no-store, never a pass', async () => {
    const down = {
      issuer: 'https://id.example',
      verify: () => Promise.reject(new StorageUnavailableError('keys unreachable')),
    };
    const auth = await verifyBearerHeader(down, 'Bearer a.b.c');
    if (auth.ok) expect.fail('accepted');
    expect(auth.status).toBe(503);
    expect(auth.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(auth.body)).toMatchObject({ error: 'temporarily_unavailable' });
  });
});

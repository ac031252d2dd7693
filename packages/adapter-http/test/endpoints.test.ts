import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  authorizeQuery,
  basic,
  codeFor,
  exchange,
  form,
  ISSUER,
  introspect,
  type Provider,
  provider,
  REDIRECT,
  SECRET,
  type Transport,
} from './support.ts';

const htmlHeaders = {
  'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers);
}

describe.each<Transport>(['fetch', 'node'])('adapter-http through %s', (transport) => {
  let p: Provider;
  beforeAll(async () => {
    p = await provider(transport);
  });
  afterAll(() => p.close());

  describe('authorization endpoint', () => {
    test.each([
      ['an unregistered redirect URI', { redirect_uri: 'https://evil.example/callback' }],
      ['a trailing slash', { redirect_uri: `${REDIRECT}/` }],
      ['an added query', { redirect_uri: `${REDIRECT}?x=1` }],
      ['a changed case', { redirect_uri: REDIRECT.replace('client', 'CLIENT') }],
      ['an added port', { redirect_uri: REDIRECT.replace('client.example', 'client.example:8443') }],
      ['a fragment', { redirect_uri: `${REDIRECT}#frag` }],
      ['an unknown client', { client_id: 'nobody' }],
      ['a missing client_id', { client_id: undefined }],
    ])('RFC 6749 §4.1.2.1: %s gets an HTML error page, never a redirect', async (_name, params) => {
      const response = await p.send(authorizeQuery(params), { headers: { 'x-test-user': 'alice' } });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(headersOf(response)).toMatchObject(htmlHeaders);
      const body = await response.text();
      expect(body).not.toContain('evil.example');
      expect(body).not.toContain('<script');
    });

    test('RFC 6749 §4.1.2.1: a missing response_type redirects with invalid_request, state and iss', async () => {
      const response = await p.send(authorizeQuery({ response_type: undefined }));
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') ?? '');
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('st-1');
      expect(location.searchParams.get('iss')).toBe(ISSUER);
    });

    test('RFC 6749 §4.1.2: a 1000-byte state with &=+ % is echoed exactly', async () => {
      const state = '&=+ %'.repeat(200);
      const response = await p.send(authorizeQuery({ state }), { headers: { 'x-test-user': 'alice' } });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') ?? '');
      expect(location.searchParams.get('state')).toBe(state);
      expect(location.searchParams.get('iss')).toBe(ISSUER);
      expect(location.searchParams.get('code')).toMatch(/^kbc_/);
    });

    test('RFC 6749 §3.1: a POST authorization request is answered with 303', async () => {
      const query = authorizeQuery().split('?')[1] ?? '';
      const response = await p.send('/authorize', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test-user': 'alice' },
        body: query,
      });
      expect(response.status).toBe(303);
      expect(new URL(response.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^kbc_/);
    });

    test('RFC 6749 §4.1.2.1: the host denying redirects with access_denied', async () => {
      const response = await p.send(authorizeQuery(), { headers: { 'x-test-deny': '1' } });
      const location = new URL(response.headers.get('location') ?? '');
      expect(location.searchParams.get('error')).toBe('access_denied');
      expect(location.searchParams.get('state')).toBe('st-1');
    });

    test("the host's login page gets clickjacking headers and no CORS; the interaction resumes once", async () => {
      const response = await p.send(authorizeQuery(), { headers: { origin: 'https://evil.example' } });
      expect(response.status).toBe(200);
      expect(headersOf(response)).toMatchObject(htmlHeaders);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const id = /name="interaction" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
      expect(await p.interactions.find(id)).toMatchObject({ client: { id: 'web' }, state: 'st-1' });
      const done = await p.interactions.complete(id, { type: 'approve', subject: 'bob' });
      expect('location' in done && new URL(done.location).searchParams.get('code')).toMatch(/^kbc_/);
      expect(await p.interactions.complete(id, { type: 'approve', subject: 'bob' })).toEqual({
        kind: 'not_found',
      });
      expect(await p.interactions.complete('forged', { type: 'approve', subject: 'bob' })).toEqual({
        kind: 'not_found',
      });
    });
  });

  describe('token endpoint', () => {
    test('RFC 6749 §5.1: a code exchange answers 200 with no-store and no-cache', async () => {
      const response = await exchange(p, await codeFor(p));
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('pragma')).toBe('no-cache');
      expect(await response.json()).toMatchObject({
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'profile email',
      });
    });

    test('RFC 6749 §3.2: GET on /token is 405 with Allow: POST, and the code stays usable', async () => {
      const code = await codeFor(p);
      const get = await p.send(`/token?grant_type=authorization_code&code=${code}`);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      expect((await exchange(p, code)).status).toBe(200);
    });

    test('RFC 6749 §3.2: a JSON body is 400 invalid_request', async () => {
      const response = await p.send('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic('web', SECRET) },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });

    test('RFC 6749 §5.2: a wrong secret over Basic is 401 with WWW-Authenticate', async () => {
      const response = await p.send(
        '/token',
        form({ grant_type: 'client_credentials' }, { authorization: basic('web', 'wrong') }),
      );
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    test('RFC 6749 §2.3: Basic plus a body secret is 400 invalid_request', async () => {
      const response = await p.send(
        '/token',
        form(
          { grant_type: 'client_credentials', client_secret: SECRET },
          { authorization: basic('web', SECRET) },
        ),
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });

    test.each([
      ['bad base64', 'Basic !!!notbase64'],
      ['no colon', `Basic ${btoa('webSECRET')}`],
      ['a bad % escape', `Basic ${btoa('web:%zz')}`],
      ['+ and %-encoded parts', `Basic ${btoa('w%65b:kbs_test+secret')}`],
      ['an empty value', 'Basic '],
      ['invalid UTF-8', `Basic ${btoa('\xff\xfe:\xff')}`],
      ['another scheme', 'Digest abc'],
    ])('RFC 6749 §2.3.1: malformed Basic (%s) is 4xx, never 500', async (_name, authorization) => {
      const response = await p.send('/token', form({ grant_type: 'client_credentials' }, { authorization }));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error_description).toMatch(/^[\x20-\x7e]+$/);
    });

    test('RFC 6749 §3.1: repeated parameters are 400', async () => {
      const response = await p.send('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('web', SECRET) },
        body: 'grant_type=client_credentials&grant_type=client_credentials',
      });
      expect(response.status).toBe(400);
    });

    test('an oversized body is 413 before anything is read into storage', async () => {
      const response = await p.send(
        '/token',
        form({ grant_type: 'client_credentials', pad: 'x'.repeat(70 * 1024) }),
      );
      expect(response.status).toBe(413);
    });

    test('RFC 6749 §4.1.2: a code replay is invalid_grant and the first tokens become inactive', async () => {
      const code = await codeFor(p);
      const first = (await (await exchange(p, code)).json()) as {
        access_token: string;
        refresh_token: string;
      };
      const replay = await exchange(p, code);
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
      expect(await introspect(p, first.access_token)).toEqual({ active: false });
      expect(await introspect(p, first.refresh_token)).toEqual({ active: false });
    });

    test('RFC 6749 §10.5: 20 parallel exchanges of one code give exactly one 200', async () => {
      const code = await codeFor(p);
      const responses = await Promise.all(Array.from({ length: 20 }, () => exchange(p, code)));
      expect(responses.map((r) => r.status).filter((s) => s === 200)).toHaveLength(1);
      expect(responses.map((r) => r.status).filter((s) => s === 400)).toHaveLength(19);
    });

    test('RFC 6749 §5.2: client_secret_post over the form works', async () => {
      const code = await codeFor(p, { client_id: 'poster', scope: 'profile' });
      const response = await p.send(
        '/token',
        form({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          client_id: 'poster',
          client_secret: SECRET,
        }),
      );
      expect(response.status).toBe(200);
    });
  });

  describe('revocation and introspection', () => {
    test('RFC 7009 §2.2: revocation answers 200 with an empty body, also for unknown tokens', async () => {
      const tokens = (await (await exchange(p, await codeFor(p))).json()) as {
        refresh_token: string;
        access_token: string;
      };
      for (const token of [tokens.refresh_token, 'unknown-token']) {
        const response = await p.send('/revoke', form({ token }, { authorization: basic('web', SECRET) }));
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('');
      }
      expect(await introspect(p, tokens.access_token)).toEqual({ active: false });
    });

    test('RFC 7662 §2.1, §2.3: introspection without credentials is a 401 with a challenge', async () => {
      const response = await p.send('/introspect', form({ token: 'x' }));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
      const publicClient = await p.send('/introspect', form({ token: 'x', client_id: 'web' }));
      expect(publicClient.status).toBe(401);
      expect((await p.send('/introspect')).status).toBe(405);
    });
  });

  describe('metadata', () => {
    test('RFC 8414 §3: the well-known document', async () => {
      const response = await p.send('/.well-known/oauth-authorization-server');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        issuer: ISSUER,
        token_endpoint: `${ISSUER}/token`,
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
    });

    test('unknown paths are 404 JSON', async () => {
      const response = await p.send('/nope');
      expect(response.status).toBe(404);
    });
  });
});

describe.each<Transport>(['fetch', 'node'])('host routes through %s', (transport) => {
  test("paths that are not the provider's reach the handler's fallback", async () => {
    const p = await provider(transport, {
      handler: {
        fallback: async (request) =>
          new Response(
            `host page ${new URL(request.url).pathname} ${request.method} ${await request.text()}`,
            {
              status: 201,
              headers: { 'x-host': 'yes' },
            },
          ),
      },
    });
    try {
      const response = await p.send('/login?x=1', { method: 'POST', body: 'a=b' });
      expect(response.status).toBe(201);
      expect(response.headers.get('x-host')).toBe('yes');
      expect(await response.text()).toBe('host page /login POST a=b');
    } finally {
      await p.close();
    }
  });
});

import { describe, expect, test } from 'vitest';
import { asBasic, harness, ISSUER, unwrap, unwrapErr } from './support.ts';

const base = {
  response_type: 'code',
  client_id: 'basic-client',
  redirect_uri: 'https://client.example/callback',
  scope: 'profile',
  state: 'st',
};

describe('authorization endpoint (RFC 6749 §4.1.1)', () => {
  test.each([
    ['a missing client_id', { client_id: undefined }, 'invalid_request'],
    ['an unknown client_id', { client_id: 'nobody' }, 'invalid_client'],
    ['a repeated client_id', { client_id: ['basic-client', 'basic-client'] }, 'invalid_request'],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/callback' }, 'invalid_request'],
    [
      'a redirect_uri with a trailing slash',
      { redirect_uri: 'https://client.example/callback/' },
      'invalid_request',
    ],
    [
      'a redirect_uri with an added query',
      { redirect_uri: 'https://client.example/callback?a=1' },
      'invalid_request',
    ],
    [
      'a redirect_uri with a fragment',
      { redirect_uri: 'https://client.example/callback#f' },
      'invalid_request',
    ],
    ['a redirect_uri in other case', { redirect_uri: 'https://CLIENT.example/callback' }, 'invalid_request'],
    [
      'a redirect_uri with a port',
      { redirect_uri: 'https://client.example:8443/callback' },
      'invalid_request',
    ],
    ['no redirect_uri when several are registered', { redirect_uri: undefined }, 'invalid_request'],
    [
      'a repeated redirect_uri',
      { redirect_uri: ['https://client.example/callback', 'https://client.example/callback'] },
      'invalid_request',
    ],
  ])('RFC 6749 §4.1.2.1: %s is not redirected', async (_name, change, code) => {
    const h = await harness();
    const error = unwrapErr(await h.server.authorize({ ...base, ...change }));
    expect(error.error).toBe(code);
    expect(error.redirect).toBeUndefined();
    expect(h.server.errorResponse(error)).toBeUndefined();
  });

  test.each([
    ['a missing response_type', { response_type: undefined }, 'invalid_request'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
    ['an unknown scope', { scope: 'profile admin' }, 'invalid_scope'],
    ['a repeated scope parameter', { scope: ['profile', 'email'] }, 'invalid_request'],
    [
      'a plain PKCE challenge',
      { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' },
      'invalid_request',
    ],
  ])('RFC 6749 §4.1.2.1: %s is redirected with state and iss', async (_name, change, code) => {
    const h = await harness();
    const error = unwrapErr(await h.server.authorize({ ...base, ...change }));
    expect(error.error).toBe(code);
    const response = h.server.errorResponse(error);
    const url = new URL(response?.url ?? 'about:blank');
    expect(`${url.origin}${url.pathname}`).toBe('https://client.example/callback');
    expect(url.searchParams.get('error')).toBe(code);
    expect(url.searchParams.get('state')).toBe('st');
    expect(url.searchParams.get('iss')).toBe(ISSUER);
    expect(url.searchParams.get('error_description')).toMatch(/^[\x20-\x7e]+$/);
  });

  test('RFC 6749 §3.1.2: the redirect keeps the registered query byte-exact', async () => {
    const h = await harness();
    const request = unwrap(
      await h.server.authorize({ ...base, redirect_uri: 'https://client.example/other?x=1' }),
    );
    const response = unwrap(await h.server.approve(request, { subject: 'u' }));
    expect(response.url.startsWith('https://client.example/other?x=1&code=kbc_')).toBe(true);
  });

  test('RFC 6749 §4.1.2: a 1000-character state with &=+ % is echoed exactly', async () => {
    const h = await harness();
    const state = '&=+ %é'.repeat(166).slice(0, 1000);
    const request = unwrap(await h.server.authorize({ ...base, state }));
    const url = new URL(unwrap(await h.server.approve(request, { subject: 'u' })).url);
    expect(url.searchParams.get('state')).toBe(state);
  });

  test('RFC 6749 §3.3: granted scopes may only narrow the request', async () => {
    const h = await harness();
    const request = unwrap(await h.server.authorize({ ...base, scope: 'profile email' }));
    expect(() => h.server.approve(request, { subject: 'u', scopes: ['profile', 'offline'] })).toThrow(
      TypeError,
    );
    expect(() => h.server.approve(request, { subject: '' })).toThrow(TypeError);
    const narrowed = unwrap(await h.server.approve(request, { subject: 'u', scopes: ['email'] }));
    expect(narrowed.parameters.code).toMatch(/^kbc_/);
  });

  test('RFC 6749 §4.1.2: approve refuses a request whose redirect URI is no longer registered', async () => {
    const h = await harness();
    const request = unwrap(await h.server.authorize(base));
    const error = unwrapErr(
      await h.server.approve({ ...request, redirectUri: 'https://evil.example/cb' }, { subject: 'u' }),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.redirect).toBeUndefined();
  });

  test('RFC 8252 §7.3: a loopback redirect URI may use any port', async () => {
    const h = await harness();
    const request = unwrap(
      await h.server.authorize({
        response_type: 'code',
        client_id: 'public-client',
        redirect_uri: 'http://127.0.0.1:61000/native-cb',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      }),
    );
    expect(request.redirectUri).toBe('http://127.0.0.1:61000/native-cb');
  });

  test('RFC 9700 §2.1.1: a public client without PKCE is refused', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.authorize({
        response_type: 'code',
        client_id: 'public-client',
        redirect_uri: 'com.example.app:/cb',
      }),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.redirect?.redirectUri).toBe('com.example.app:/cb');
  });

  test('RFC 9700 §2.1.1: config.requirePkce makes PKCE required for confidential clients too', async () => {
    const h = await harness({ config: { requirePkce: true } });
    expect(unwrapErr(await h.server.authorize(base)).error).toBe('invalid_request');
  });

  test('RFC 6749 §3.1: unknown parameters are ignored, even repeated', async () => {
    const h = await harness();
    const request = unwrap(
      await h.server.authorize([...Object.entries(base), ['prompt', 'login'], ['prompt', 'consent']] as [
        string,
        string,
      ][]),
    );
    expect(request.scopes).toEqual(['profile']);
  });
});

describe('server-wide default scopes', () => {
  test('RFC 6749 §3.3: config.defaultScopes apply to a client without its own, at /authorize and for client credentials', async () => {
    const h = await harness({ config: { defaultScopes: ['email', 'offline'] } });
    const request = unwrap(
      await h.server.authorize({
        response_type: 'code',
        client_id: 'basic-client',
        redirect_uri: 'https://client.example/callback',
      }),
    );
    expect(request.scopes).toEqual(['email', 'offline']);
    const cc = unwrap(
      await h.server.token({ params: { grant_type: 'client_credentials' }, authorization: asBasic }),
    );
    expect(cc.scope).toBe('email offline');
    await expect(harness({ config: { defaultScopes: ['nope'] } })).rejects.toThrow(
      /defaultScopes\.0: is not among the scopes/,
    );
  });
});

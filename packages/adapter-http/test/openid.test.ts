import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  createAuthorizationServer,
  type GrantStore,
  type SignerPort,
  sha256Base64url,
  webCrypto,
} from '@kraikub/core';
import { createJoseSigner, generateSigningKey } from '@kraikub/jose';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, test } from 'vitest';
import { createHandler, createInteractions, type Decision, type HandlerOptions } from '../src/index.ts';

/**
 * The OpenID Connect endpoints over HTTP (through the Fetch handler), with a
 * real signer (@kraikub/jose): discovery, JWKS, the code flow's ID Token as a
 * client library checks it, prompt=none, UserInfo and its errors,
 * RP-initiated logout, and a key rotation while tokens are outstanding.
 */
const ISSUER = 'https://id.example.com';
const REDIRECT = 'https://rp.example/cb';
const SECRET = 'kbs_rp-secret';
const basic = `Basic ${btoa(`rp:${SECRET}`)}`;

async function provider(
  options: { signer?: SignerPort; grants?: GrantStore; handler?: Partial<HandlerOptions> } = {},
) {
  const signer =
    options.signer ?? (await createJoseSigner({ keys: { keys: [await generateSigningKey('ES256', 'k1')] } }));
  const grants = options.grants ?? new MemoryGrantStore();
  const server = createAuthorizationServer({
    config: { issuer: ISSUER, scopes: { openid: 'Sign in', profile: 'Profile', email: 'Email' } },
    clients: new MemoryClientStore([
      {
        id: 'rp',
        name: 'RP',
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: ['https://rp.example/bye'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(webCrypto, SECRET),
        scopes: ['openid', 'profile', 'email'],
      },
    ]),
    store: grants,
    signer,
    findClaims: async ({ subject }) => ({ name: `User ${subject}`, email: `${subject}@example.com` }),
  });
  const interactions = createInteractions(server, { store: new MemoryInteractionStore() });
  const interact: HandlerOptions['interact'] = ({ httpRequest }) => {
    const user = httpRequest.headers.get('x-user');
    if (user !== null)
      return { type: 'approve', subject: user, authTime: Date.now(), amr: ['pwd'] } satisfies Decision;
    const deny = httpRequest.headers.get('x-deny');
    if (deny !== null) return { type: 'deny', error: deny as 'login_required' };
    return new Response('<p>login</p>', { headers: { 'content-type': 'text/html' } });
  };
  const handler = createHandler(server, { interactions, interact, ...options.handler });
  const send = (path: string, init?: RequestInit) => handler(new Request(new URL(path, ISSUER), init));
  return { server, handler, send, signer, grants };
}

type Provider = Awaited<ReturnType<typeof provider>>;

const authorizePath = (params: Record<string, string> = {}) =>
  `/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: 'rp',
    redirect_uri: REDIRECT,
    scope: 'openid profile email',
    state: 'st',
    nonce: 'nonce-123',
    ...params,
  })}`;

async function tokensFor(p: Provider, user = 'alice') {
  const authorized = await p.send(authorizePath(), { headers: { 'x-user': user } });
  const code = new URL(authorized.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const response = await p.send('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
  });
  return (await response.json()) as { access_token: string; refresh_token: string; id_token: string };
}

/** What a client library does: verify against the JWKS the provider publishes. */
async function verifyAsClient(p: Provider, idToken: string) {
  const jwks = (await (await p.send('/jwks')).json()) as { keys: object[] };
  return (
    await jwtVerify(idToken, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), {
      issuer: ISSUER,
      audience: 'rp',
    })
  ).payload;
}

describe('OpenID Connect over HTTP', () => {
  test('Discovery 1.0 §4: the document at the issuer + /.well-known/openid-configuration, beside RFC 8414', async () => {
    const p = await provider();
    const discovery = await p.send('/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    const document = (await discovery.json()) as Record<string, unknown>;
    expect(document).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/jwks`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      end_session_endpoint: `${ISSUER}/end-session`,
      id_token_signing_alg_values_supported: ['ES256'],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
    });
    expect(await (await p.send('/.well-known/oauth-authorization-server')).json()).toEqual(document);
  });

  test('RFC 7517 §5: the JWKS has public keys only, cacheable for five minutes', async () => {
    const p = await provider();
    const response = await p.send('/jwks');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kid: 'k1', alg: 'ES256', use: 'sig', kty: 'EC' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  test('Core §3.1.3.7: the ID Token validates as a client library checks it (jose, the published JWKS)', async () => {
    const p = await provider();
    const tokens = await tokensFor(p);
    const claims = await verifyAsClient(p, tokens.id_token);
    expect(claims).toMatchObject({ sub: 'alice', aud: 'rp', azp: 'rp', nonce: 'nonce-123', amr: ['pwd'] });
    expect(typeof claims.auth_time).toBe('number');
    expect(decodeProtectedHeader(tokens.id_token)).toMatchObject({ alg: 'ES256', kid: 'k1', typ: 'JWT' });
  });

  test('Core §3.1.2.6: prompt=none never shows a page; the host says why it could not decide', async () => {
    const p = await provider();
    const page = await p.send(authorizePath({ prompt: 'none' }));
    expect(page.status).toBe(302);
    const location = new URL(page.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('interaction_required');
    expect(location.searchParams.get('state')).toBe('st');
    const denied = await p.send(authorizePath({ prompt: 'none' }), {
      headers: { 'x-deny': 'login_required' },
    });
    expect(new URL(denied.headers.get('location') ?? '').searchParams.get('error')).toBe('login_required');
    const silent = await p.send(authorizePath({ prompt: 'none' }), { headers: { 'x-user': 'alice' } });
    expect(new URL(silent.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^kbc_/);
  });

  test('Core §5.3: UserInfo by header (GET) and by form body (POST); claims of the granted scopes', async () => {
    const p = await provider();
    const { access_token } = await tokensFor(p);
    const byHeader = await p.send('/userinfo', { headers: { authorization: `Bearer ${access_token}` } });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('cache-control')).toBe('no-store');
    expect(await byHeader.json()).toEqual({ sub: 'alice', name: 'User alice', email: 'alice@example.com' });
    const byForm = await p.send('/userinfo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token }),
    });
    expect(await byForm.json()).toMatchObject({ sub: 'alice' });
  });

  test('Core §5.3.3, RFC 6750 §3.1: UserInfo errors carry their challenge', async () => {
    const p = await provider();
    const missing = await p.send('/userinfo');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="${ISSUER}"`);
    const unknown = await p.send('/userinfo', {
      headers: { authorization: `Bearer kba_${'A'.repeat(22)}.${'B'.repeat(43)}` },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const { access_token } = await tokensFor(p);
    const twoWays = await p.send('/userinfo', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${access_token}`,
      },
      body: new URLSearchParams({ access_token }),
    });
    expect(twoWays.status).toBe(400);
    // A plain OAuth token (no openid) is insufficient_scope.
    const authorized = await p.send(authorizePath({ scope: 'profile', nonce: '' }), {
      headers: { 'x-user': 'bob' },
    });
    const code = new URL(authorized.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const plain = (await (
      await p.send('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT }),
      })
    ).json()) as { access_token: string; id_token?: string };
    expect(plain.id_token).toBeUndefined();
    const insufficient = await p.send('/userinfo', {
      headers: { authorization: `Bearer ${plain.access_token}` },
    });
    expect(insufficient.status).toBe(403);
    expect(insufficient.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(insufficient.headers.get('www-authenticate')).toContain('scope="openid"');
  });

  test('RP-Initiated Logout §2, §3: a hinted logout ends the session and goes back with state', async () => {
    const ended: unknown[] = [];
    const p = await provider({
      handler: {
        endSession: ({ request }) => {
          ended.push(request);
          return request.hinted
            ? { headers: { 'set-cookie': 'session=; Max-Age=0; Path=/' } }
            : new Response('<p>Sign out of Kraikub?</p>', { headers: { 'content-type': 'text/html' } });
        },
      },
    });
    const { id_token } = await tokensFor(p);
    const back = await p.send(
      `/end-session?${new URLSearchParams({ id_token_hint: id_token, post_logout_redirect_uri: 'https://rp.example/bye', state: 's1' })}`,
    );
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('https://rp.example/bye?state=s1');
    expect(back.headers.get('set-cookie')).toBe('session=; Max-Age=0; Path=/');
    expect(ended[0]).toMatchObject({ hinted: true, subject: 'alice', clientId: 'rp' });
    const unhinted = await p.send('/end-session');
    expect(await unhinted.text()).toContain('Sign out of Kraikub?');
    const wrong = await p.send(
      `/end-session?${new URLSearchParams({ id_token_hint: id_token, post_logout_redirect_uri: 'https://evil.example/' })}`,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('location')).toBeNull();
  });

  test('a key rotation while tokens are outstanding: old ID Tokens keep verifying until their key is retired', async () => {
    const [k1, k2] = [await generateSigningKey('ES256', 'k1'), await generateSigningKey('ES256', 'k2')];
    const grants = new MemoryGrantStore();
    // Step 1: k1 signs, k2 is published ahead of the switch.
    const before = await provider({ grants, signer: await createJoseSigner({ keys: { keys: [k1, k2] } }) });
    const tokens = await tokensFor(before);
    expect(decodeProtectedHeader(tokens.id_token).kid).toBe('k1');
    // Step 2: switch: k2 signs, k1 stays published. Same store: outstanding tokens still work.
    const after = await provider({
      grants,
      signer: await createJoseSigner({ keys: { keys: [k1, k2] }, active: 'k2' }),
    });
    expect(await verifyAsClient(after, tokens.id_token)).toMatchObject({ sub: 'alice' });
    const refreshed = (await (
      await after.send('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
      })
    ).json()) as { id_token: string };
    expect(decodeProtectedHeader(refreshed.id_token).kid).toBe('k2');
    expect(await verifyAsClient(after, refreshed.id_token)).toMatchObject({
      sub: 'alice',
      auth_time: expect.any(Number),
    });
    // Step 3: retire k1 once the longest token it signed has expired: its old tokens no longer verify.
    const retired = await provider({ grants, signer: await createJoseSigner({ keys: { keys: [k2] } }) });
    await expect(verifyAsClient(retired, tokens.id_token)).rejects.toThrow();
  });
});

import { MemoryClientStore, MemoryGrantStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationRequest,
  type ClaimsQuery,
  createAuthorizationServer,
  type SignerPort,
  sha256Base64url,
  webCrypto,
} from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { atHash, claimsOf, testSigner } from './signer.ts';
import { basicAuth, ISSUER, SECRETS, TestClock, unwrap, unwrapErr } from './support.ts';

/**
 * OpenID Connect Core 1.0, the rules that apply to a code-flow provider,
 * each test named after its section.
 */
const REDIRECT = 'https://rp.example/cb';
const asRp = basicAuth('rp', SECRETS.basic);

const user = {
  name: 'Alice Liddell',
  given_name: 'Alice',
  email: 'alice@example.com',
  email_verified: true,
  phone_number: '+66 2 000 0000',
  address: { country: 'TH' },
  // What a careless host might return: the provider must never let these through.
  iss: 'https://evil.example',
  aud: 'someone-else',
  nonce: 'forged',
  favourite_colour: 'blue',
};

async function oidc(
  options: {
    signer?: SignerPort;
    offlineAccess?: boolean;
    findClaims?: (q: ClaimsQuery) => Promise<object>;
  } = {},
) {
  const clock = new TestClock();
  const signer = options.signer ?? (await testSigner());
  const queries: ClaimsQuery[] = [];
  const server = createAuthorizationServer({
    config: {
      issuer: ISSUER,
      scopes: {
        openid: 'Sign you in',
        profile: 'Your profile',
        email: 'Your email',
        phone: 'Your phone',
        address: 'Your address',
        offline_access: 'Stay signed in',
      },
      oidc: { offlineAccess: options.offlineAccess ?? false },
    },
    clients: new MemoryClientStore([
      {
        id: 'rp',
        name: 'Relying Party',
        redirectUris: [REDIRECT],
        postLogoutRedirectUris: ['https://rp.example/signed-out'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(webCrypto, SECRETS.basic),
        scopes: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
      },
      {
        id: 'other',
        name: 'Other',
        redirectUris: ['https://other.example/cb'],
        tokenEndpointAuthMethod: 'none',
        scopes: ['openid'],
      },
    ]),
    store: new MemoryGrantStore({ clock }),
    clock,
    signer,
    findClaims: async (query) => {
      queries.push(query);
      return options.findClaims === undefined
        ? user
        : (options.findClaims(query) as Promise<Record<string, unknown>>);
    },
  });
  return { server, clock, signer, queries };
}

type Setup = Awaited<ReturnType<typeof oidc>>;

function request(s: Setup, params: Record<string, string> = {}) {
  return s.server.authorize({
    response_type: 'code',
    client_id: 'rp',
    redirect_uri: REDIRECT,
    scope: 'openid profile email',
    state: 'st',
    nonce: 'n-0S6_WzA2Mj ✓',
    ...params,
  });
}

async function codeFor(
  s: Setup,
  params: Record<string, string> = {},
  approval: { authTime?: number; acr?: string; amr?: string[]; subject?: string } = {},
): Promise<{ code: string; request: AuthorizationRequest }> {
  const validated = unwrap(await request(s, params));
  const approved = unwrap(
    await s.server.approve(validated, { subject: 'alice', authTime: s.clock.now(), ...approval }),
  );
  return { code: new URL(approved.url).searchParams.get('code') ?? '', request: validated };
}

const exchange = (s: Setup, code: string) =>
  s.server.token({
    params: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
    authorization: asRp,
  });

const refresh = (s: Setup, token: string, scope?: string) =>
  s.server.token({
    params: { grant_type: 'refresh_token', refresh_token: token, ...(scope === undefined ? {} : { scope }) },
    authorization: asRp,
  });

describe('OpenID Connect Core 1.0: the ID Token (section 2, 3.1.3.6)', () => {
  test('§2: iss, sub, aud, azp, exp, iat, auth_time, nonce, acr, amr; the signature verifies', async () => {
    const s = await oidc();
    const authTime = s.clock.now() - 30_000;
    const { code } = await codeFor(s, {}, { authTime, acr: 'urn:kraikub:pwd', amr: ['pwd'] });
    const tokens = unwrap(await exchange(s, code));
    expect(tokens.id_token).toBeDefined();
    const claims = await s.signer.verify(tokens.id_token ?? '', { typ: 'JWT' });
    const now = Math.floor(s.clock.now() / 1000);
    expect(claims).toEqual({
      iss: ISSUER,
      sub: 'alice',
      aud: 'rp',
      azp: 'rp',
      iat: now,
      exp: now + 3600,
      auth_time: Math.floor(authTime / 1000),
      nonce: 'n-0S6_WzA2Mj ✓',
      acr: 'urn:kraikub:pwd',
      amr: ['pwd'],
      at_hash: await atHash(tokens.access_token),
    });
  });

  test('§3.1.3.6: at_hash is the left half of the SHA-256 of the access token', async () => {
    const s = await oidc();
    const tokens = unwrap(await exchange(s, (await codeFor(s)).code));
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(tokens.access_token)),
    );
    expect(claimsOf(tokens.id_token ?? '').at_hash).toBe(
      Buffer.from(digest.slice(0, 16)).toString('base64url'),
    );
  });

  test('§3.1.2.1: without a nonce in the request, none in the ID Token; no acr or amr unless given', async () => {
    const s = await oidc();
    const { code } = await codeFor(s, { nonce: '' });
    const claims = claimsOf(unwrap(await exchange(s, code)).id_token ?? '');
    expect(claims).not.toHaveProperty('nonce');
    expect(claims).not.toHaveProperty('acr');
    expect(claims).not.toHaveProperty('amr');
  });

  test('§3.1.3.3: no openid scope, no ID Token (plain OAuth on the same server)', async () => {
    const s = await oidc();
    const { code } = await codeFor(s, { scope: 'profile', nonce: '' });
    expect(unwrap(await exchange(s, code)).id_token).toBeUndefined();
  });

  test('§5.5: claims by scope are not in the ID Token of the code flow; the claims request puts them there', async () => {
    const s = await oidc();
    const plain = claimsOf(unwrap(await exchange(s, (await codeFor(s)).code)).id_token ?? '');
    expect(plain).not.toHaveProperty('email');
    const requested = await codeFor(s, {
      claims: JSON.stringify({ id_token: { email: { essential: true } } }),
    });
    const claims = claimsOf(unwrap(await exchange(s, requested.code)).id_token ?? '');
    expect(claims.email).toBe('alice@example.com');
    // A host value never overrides a protocol claim.
    expect(claims.iss).toBe(ISSUER);
    expect(claims.nonce).toBe('n-0S6_WzA2Mj ✓');
    expect(claims).not.toHaveProperty('favourite_colour');
    expect(s.queries.at(-1)).toMatchObject({ target: 'id_token', names: ['email'], subject: 'alice' });
  });

  test('§12.2: a refresh brings a new ID Token with the original auth_time and no nonce', async () => {
    const s = await oidc();
    const authTime = s.clock.now() - 5_000;
    const first = unwrap(await exchange(s, (await codeFor(s, {}, { authTime })).code));
    s.clock.advance(60_000);
    const refreshed = unwrap(await refresh(s, first.refresh_token ?? ''));
    const claims = claimsOf(refreshed.id_token ?? '');
    expect(claims.auth_time).toBe(Math.floor(authTime / 1000));
    expect(claims.iat).toBe(Math.floor(s.clock.now() / 1000));
    expect(claims).not.toHaveProperty('nonce');
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'alice', aud: 'rp', azp: 'rp' });
    expect(claims.at_hash).toBe(await atHash(refreshed.access_token));
    // A refresh narrowed to scopes without openid gets no ID Token.
    expect(unwrap(await refresh(s, refreshed.refresh_token ?? '', 'profile')).id_token).toBeUndefined();
  });
});

describe('OpenID Connect Core 1.0: the authentication request (section 3.1.2.1)', () => {
  const errorOf = async (s: Setup, params: Record<string, string>) => {
    const failed = unwrapErr(await request(s, params));
    return { error: failed.error, redirected: failed.redirect !== undefined };
  };

  test('prompt: none cannot be combined; unknown values are invalid_request (redirected)', async () => {
    const s = await oidc();
    expect(await errorOf(s, { prompt: 'none login' })).toEqual({
      error: 'invalid_request',
      redirected: true,
    });
    expect(await errorOf(s, { prompt: 'always' })).toEqual({ error: 'invalid_request', redirected: true });
    expect(unwrap(await request(s, { prompt: 'login consent' })).openid?.prompt).toEqual([
      'login',
      'consent',
    ]);
  });

  test('max_age must be a number of seconds; claims must be a claims request', async () => {
    const s = await oidc();
    expect((await errorOf(s, { max_age: '-1' })).error).toBe('invalid_request');
    expect((await errorOf(s, { max_age: 'ten' })).error).toBe('invalid_request');
    expect((await errorOf(s, { claims: '{"id_token":' })).error).toBe('invalid_request');
    expect((await errorOf(s, { claims: '{"userinfo":{"email":7}}' })).error).toBe('invalid_request');
    expect(unwrap(await request(s, { max_age: '0' })).openid?.maxAge).toBe(0);
  });

  test('§6: request, request_uri and registration are refused with their own codes; response_mode only query', async () => {
    const s = await oidc();
    expect((await errorOf(s, { request: 'eyJ...' })).error).toBe('request_not_supported');
    expect((await errorOf(s, { request_uri: 'https://rp.example/r' })).error).toBe(
      'request_uri_not_supported',
    );
    expect((await errorOf(s, { registration: '{}' })).error).toBe('registration_not_supported');
    expect((await errorOf(s, { response_mode: 'form_post' })).error).toBe('invalid_request');
  });

  test('redirect_uri is required with openid; an OpenID parameter sent twice is refused', async () => {
    const s = await oidc();
    const withoutRedirect = unwrapErr(
      await s.server.authorize({ response_type: 'code', client_id: 'rp', scope: 'openid', state: 'st' }),
    );
    expect(withoutRedirect.error).toBe('invalid_request');
    const twice = unwrapErr(
      await s.server.authorize(
        new URLSearchParams(
          `response_type=code&client_id=rp&redirect_uri=${REDIRECT}&scope=openid&nonce=a&nonce=b`,
        ),
      ),
    );
    expect(twice.error).toBe('invalid_request');
  });

  test('login_hint, acr_values and ui_locales reach the host', async () => {
    const s = await oidc();
    const validated = unwrap(
      await request(s, { login_hint: 'alice@example.com', acr_values: 'urn:a urn:b', ui_locales: 'th en' }),
    );
    expect(validated.openid).toMatchObject({
      loginHint: 'alice@example.com',
      acrValues: ['urn:a', 'urn:b'],
      uiLocales: ['th', 'en'],
    });
  });
});

describe('OpenID Connect Core 1.0: authentication freshness (sections 3.1.2.1, 3.1.2.6)', () => {
  const loginRequired = async (s: Setup, params: Record<string, string>, authTime: number | undefined) => {
    const validated = unwrap(await request(s, params));
    const approved = await s.server.approve(
      validated,
      authTime === undefined ? { subject: 'alice' } : { subject: 'alice', authTime },
    );
    if (approved.isOk()) return 'approved';
    const redirect = s.server.errorResponse(approved.error);
    return redirect === undefined ? 'not redirected' : new URL(redirect.url).searchParams.get('error');
  };

  test('max_age: an authentication older than max_age, or none at all, is login_required', async () => {
    const s = await oidc();
    const now = s.clock.now();
    expect(await loginRequired(s, { max_age: '60' }, now - 61_000 - 5_000)).toBe('login_required');
    expect(await loginRequired(s, { max_age: '60' }, undefined)).toBe('login_required');
    expect(await loginRequired(s, { max_age: '60' }, now - 59_000)).toBe('approved');
  });

  test('max_age: auth_time is then in the ID Token', async () => {
    const s = await oidc();
    const authTime = s.clock.now() - 10_000;
    const { code } = await codeFor(s, { max_age: '600' }, { authTime });
    expect(claimsOf(unwrap(await exchange(s, code)).id_token ?? '').auth_time).toBe(
      Math.floor(authTime / 1000),
    );
  });

  test('prompt=login: an authentication from before the request is login_required', async () => {
    const s = await oidc();
    expect(await loginRequired(s, { prompt: 'login' }, s.clock.now() - 3_600_000)).toBe('login_required');
    expect(await loginRequired(s, { prompt: 'login' }, s.clock.now())).toBe('approved');
  });

  test('id_token_hint: the user it names must be the one who approves', async () => {
    const s = await oidc();
    const first = unwrap(await exchange(s, (await codeFor(s)).code));
    const hinted = unwrap(await request(s, { prompt: 'none', id_token_hint: first.id_token ?? '' }));
    expect(hinted.openid?.idTokenHintSubject).toBe('alice');
    const asBob = await s.server.approve(hinted, { subject: 'bob', authTime: s.clock.now() });
    expect(unwrapErr(asBob).error).toBe('login_required');
    expect((await s.server.approve(hinted, { subject: 'alice', authTime: s.clock.now() })).isOk()).toBe(true);
  });

  test("id_token_hint: a forged, foreign or other client's token is invalid_request", async () => {
    const s = await oidc();
    const first = unwrap(await exchange(s, (await codeFor(s)).code));
    const [h, p] = (first.id_token ?? '').split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(first.id_token ?? ''), sub: 'bob' })).toString('base64url')}.${(first.id_token ?? '').split('.')[2]}`;
    expect(unwrapErr(await request(s, { id_token_hint: forged })).error).toBe('invalid_request');
    const foreign = await (await testSigner(['other-key'])).sign(
      { iss: ISSUER, sub: 'alice', aud: 'rp' },
      { typ: 'JWT' },
    );
    expect(unwrapErr(await request(s, { id_token_hint: foreign })).error).toBe('invalid_request');
    const otherClient = unwrapErr(
      await s.server.authorize({
        response_type: 'code',
        client_id: 'other',
        redirect_uri: 'https://other.example/cb',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        id_token_hint: first.id_token ?? '',
      }),
    );
    expect(otherClient.error).toBe('invalid_request');
    expect(p).toBeDefined();
  });

  test('prompt=none: the host answers with the OpenID error for why it could not decide', async () => {
    const s = await oidc();
    const validated = unwrap(await request(s, { prompt: 'none' }));
    for (const denial of ['login_required', 'consent_required', 'interaction_required'] as const) {
      const url = new URL(s.server.deny(validated, undefined, denial).url);
      expect(url.searchParams.get('error')).toBe(denial);
      expect(url.searchParams.get('state')).toBe('st');
      expect(url.searchParams.get('iss')).toBe(ISSUER);
    }
  });
});

describe('OpenID Connect Core 1.0: UserInfo (section 5.3)', () => {
  test('§5.3.2: sub always, and the claims of the granted scopes (§5.4), nothing else', async () => {
    const s = await oidc();
    const tokens = unwrap(await exchange(s, (await codeFor(s, { scope: 'openid profile email' })).code));
    const info = unwrap(await s.server.userinfo(tokens.access_token));
    expect(info).toEqual({
      kind: 'claims',
      claims: {
        sub: 'alice',
        name: 'Alice Liddell',
        given_name: 'Alice',
        email: 'alice@example.com',
        email_verified: true,
      },
    });
  });

  test('§5.5: the claims request adds UserInfo claims beyond the scopes', async () => {
    const s = await oidc();
    const claims = JSON.stringify({ userinfo: { phone_number: null } });
    const tokens = unwrap(await exchange(s, (await codeFor(s, { scope: 'openid', claims })).code));
    expect(unwrap(await s.server.userinfo(tokens.access_token))).toEqual({
      kind: 'claims',
      claims: { sub: 'alice', phone_number: '+66 2 000 0000' },
    });
  });

  test('§5.3.3: an unknown token is invalid_token; one without openid is insufficient_scope', async () => {
    const s = await oidc();
    expect(unwrap(await s.server.userinfo(`kba_${'A'.repeat(22)}.${'B'.repeat(43)}`))).toEqual({
      kind: 'invalid_token',
    });
    const oauthOnly = unwrap(await exchange(s, (await codeFor(s, { scope: 'profile', nonce: '' })).code));
    expect(unwrap(await s.server.userinfo(oauthOnly.access_token))).toEqual({ kind: 'insufficient_scope' });
  });

  test('a failing findClaims is a server_error, never a partial answer', async () => {
    const s = await oidc({ findClaims: () => Promise.reject(new Error('directory down')) });
    const tokens = unwrap(await exchange(s, (await codeFor(s)).code));
    expect(unwrapErr(await s.server.userinfo(tokens.access_token)).error).toBe('server_error');
  });
});

describe('OpenID Connect Core 1.0: offline_access (section 11)', () => {
  test('by default refresh tokens are issued as for plain OAuth', async () => {
    const s = await oidc();
    expect(unwrap(await exchange(s, (await codeFor(s)).code)).refresh_token).toMatch(/^kbr_/);
  });

  test('when the server opts in, only a grant with offline_access gets a refresh token', async () => {
    const s = await oidc({ offlineAccess: true });
    expect(unwrap(await exchange(s, (await codeFor(s)).code)).refresh_token).toBeUndefined();
    const offline = await codeFor(s, { scope: 'openid profile offline_access', prompt: 'consent' });
    expect(unwrap(await exchange(s, offline.code)).refresh_token).toMatch(/^kbr_/);
    // Plain OAuth requests on the same server are unchanged.
    expect(
      unwrap(await exchange(s, (await codeFor(s, { scope: 'profile', nonce: '' })).code)).refresh_token,
    ).toMatch(/^kbr_/);
  });
});

describe('OpenID Connect RP-Initiated Logout 1.0', () => {
  test('§2: a valid id_token_hint names the user and client; a registered post_logout_redirect_uri gets state', async () => {
    const s = await oidc();
    const { id_token } = unwrap(await exchange(s, (await codeFor(s)).code));
    // Expired is still a fine hint.
    s.clock.advance(2 * 3600_000);
    const ended = unwrap(
      await s.server.endSession({
        id_token_hint: id_token ?? '',
        post_logout_redirect_uri: 'https://rp.example/signed-out',
        state: 'bye & thanks',
      }),
    );
    expect(ended).toEqual({
      hinted: true,
      subject: 'alice',
      clientId: 'rp',
      redirect: 'https://rp.example/signed-out?state=bye%20%26%20thanks',
    });
  });

  test('§3: an unregistered redirect, a client_id that is not the audience, or a forged hint are refused', async () => {
    const s = await oidc();
    const { id_token } = unwrap(await exchange(s, (await codeFor(s)).code));
    const refused = async (params: Record<string, string>) => unwrapErr(await s.server.endSession(params));
    expect(
      (await refused({ id_token_hint: id_token ?? '', post_logout_redirect_uri: 'https://evil.example/' }))
        .error,
    ).toBe('invalid_request');
    expect((await refused({ id_token_hint: id_token ?? '', client_id: 'other' })).error).toBe(
      'invalid_request',
    );
    expect((await refused({ id_token_hint: `${id_token}x` })).error).toBe('invalid_request');
    expect((await refused({ post_logout_redirect_uri: 'https://rp.example/signed-out' })).error).toBe(
      'invalid_request',
    );
  });

  test('without a hint the request is not trusted (hinted: false); with client_id its redirect is honoured', async () => {
    const s = await oidc();
    expect(
      unwrap(
        await s.server.endSession({
          client_id: 'rp',
          post_logout_redirect_uri: 'https://rp.example/signed-out',
        }),
      ),
    ).toEqual({ hinted: false, clientId: 'rp', redirect: 'https://rp.example/signed-out' });
  });
});

describe('OpenID Connect Discovery 1.0 and the server', () => {
  test('§3: the metadata names the OpenID endpoints and the signing algorithms only with a signer', async () => {
    const s = await oidc();
    expect(s.server.metadata()).toMatchObject({
      jwks_uri: `${ISSUER}/jwks`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      end_session_endpoint: `${ISSUER}/end-session`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_parameter_supported: true,
      request_parameter_supported: false,
    });
    expect(unwrap(await s.server.jwks()).keys).toHaveLength(1);
    const plain = createAuthorizationServer({
      config: { issuer: ISSUER, scopes: { profile: 'p' } },
      clients: new MemoryClientStore([]),
      store: new MemoryGrantStore(),
    });
    expect(plain.metadata()).not.toHaveProperty('jwks_uri');
  });

  test('without a signer, openid is a plain scope: no ID Token, no OpenID checks or metadata', async () => {
    const clock = new TestClock();
    const server = createAuthorizationServer({
      config: { issuer: ISSUER, scopes: { openid: 'Sign in' } },
      clients: new MemoryClientStore([
        {
          id: 'rp',
          name: 'RP',
          redirectUris: [REDIRECT],
          tokenEndpointAuthMethod: 'client_secret_basic',
          secretHash: await sha256Base64url(webCrypto, SECRETS.basic),
          scopes: ['openid'],
        },
      ]),
      store: new MemoryGrantStore({ clock }),
      clock,
    });
    const validated = unwrap(
      await server.authorize({ response_type: 'code', client_id: 'rp', scope: 'openid', prompt: 'bogus' }),
    );
    expect(validated.openid).toBeUndefined();
    const approved = unwrap(await server.approve(validated, { subject: 'alice' }));
    const code = new URL(approved.url).searchParams.get('code') ?? '';
    const tokens = unwrap(
      await server.token({ params: { grant_type: 'authorization_code', code }, authorization: asRp }),
    );
    expect(tokens.id_token).toBeUndefined();
    expect(server.metadata()).not.toHaveProperty('userinfo_endpoint');
  });

  test('a signer that fails issues nothing: the code is still unspent afterwards', async () => {
    const real = await testSigner();
    let failing = true;
    const signer: SignerPort = {
      ...real,
      sign: (claims, options) =>
        failing ? Promise.reject(new Error('HSM offline')) : real.sign(claims, options),
    };
    const s = await oidc({ signer });
    const { code } = await codeFor(s);
    expect(unwrapErr(await exchange(s, code)).error).toBe('server_error');
    failing = false;
    expect(unwrap(await exchange(s, code)).id_token).toBeDefined();
  });
});

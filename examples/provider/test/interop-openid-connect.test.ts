/**
 * OpenID Connect interop: the provider as started by `start()` on node:http,
 * driven over loopback HTTP by the real, unmodified relying-party libraries in
 * their OpenID Connect modes. openid-client runs the whole life of a sign-in
 * (discovery, code flow with PKCE and nonce, ID Token signature through the
 * JWKS, UserInfo, refresh with a new ID Token, RP-initiated logout);
 * oauth4webapi checks the rules a relying party leans on (signature, `at_hash`,
 * `auth_time` with `max_age`, `prompt=none` with and without a session).
 * The user signs in through the provider's real pages (see `support/interop.ts`).
 */
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { alice, InteropProvider, requestTimeoutMs, userAgent } from './support/interop.ts';

const provider = new InteropProvider();
beforeAll(() => provider.start());
afterAll(() => provider.stop());

const scope = 'openid profile email offline_access';

/** OpenID Connect Core 3.1.3.6: the left half of the SHA-256 of the access token, base64url. */
const atHashOf = (accessToken: string) =>
  createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');

/** A plain GET from the browser that holds `jar`, no redirect followed. */
async function browse(url: URL | string, jar: Map<string, string>): Promise<Response> {
  const response = await fetch(url, {
    redirect: 'manual',
    headers: jar.size === 0 ? {} : { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  for (const cookie of response.headers.getSetCookie()) {
    const [pair = ''] = cookie.split(';');
    const name = pair.slice(0, pair.indexOf('=')).trim();
    const value = pair.slice(pair.indexOf('=') + 1).trim();
    if (value === '' || /max-age=0/i.test(cookie)) jar.delete(name);
    else jar.set(name, value);
  }
  return response;
}

describe('openid-client (OpenID Connect mode) against the provider', () => {
  async function configure(method: 'client_secret_basic' | 'none', id: string) {
    const client = await provider.register(id, method, { openid: true });
    const config = await openid.discovery(
      new URL(provider.issuer),
      client.id,
      { redirect_uris: [client.redirectUri], token_endpoint_auth_method: method },
      method === 'none' ? openid.None() : openid.ClientSecretBasic(client.secret),
      { execute: [openid.allowInsecureRequests], timeout: requestTimeoutMs / 1000 },
    );
    // Every ID Token's JWS signature is checked against the provider's jwks_uri.
    openid.enableNonRepudiationChecks(config);
    return { client, config };
  }

  test('discovers the OpenID Provider metadata at /.well-known/openid-configuration', async () => {
    const { config } = await configure('none', 'oidc-discovery');
    const issuer = provider.issuer;
    expect(config.serverMetadata()).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/jwks`,
      end_session_endpoint: `${issuer}/end-session`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(config.serverMetadata().scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile']));
    expect(config.serverMetadata().claims_supported).toEqual(
      expect.arrayContaining(['sub', 'name', 'email', 'email_verified', 'preferred_username']),
    );
  });

  test.each([
    { label: 'confidential client', method: 'client_secret_basic' as const },
    { label: 'public client', method: 'none' as const },
  ])('sign-in, ID Token, UserInfo, refresh, RP-initiated logout: $label', async ({ method }) => {
    const { client, config } = await configure(method, `oidc-life-${method.replaceAll('_', '-')}`);
    const verifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: client.redirectUri,
      scope,
      state,
      nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const jar = new Map<string, string>();
    const before = Math.floor(Date.now() / 1000);
    const { callback, pages } = await userAgent(
      provider.issuer,
      url,
      client.redirectUri,
      { ...alice, decision: 'approve' },
      jar,
    );
    expect(pages).toEqual(['/login', '/consent']);

    // The library checks iss, aud, azp, exp, iat, nonce and the signature (through the JWKS).
    const tokens = await openid.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({ iss: provider.issuer, sub: 'u-alice', aud: client.id, nonce });
    expect(claims?.auth_time).toBeGreaterThanOrEqual(before - 1);
    expect(claims?.at_hash).toBe(atHashOf(tokens.access_token));
    expect(tokens.scope).toBe(scope);

    const userinfo = await openid.fetchUserInfo(config, tokens.access_token, 'u-alice');
    expect(userinfo).toEqual({
      sub: 'u-alice',
      name: 'Alice Liddell',
      preferred_username: 'alice',
      email: 'alice@example.com',
      email_verified: true,
    });

    // A refresh brings a new ID Token for the same user, of the same sign-in, without the nonce.
    const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token ?? '');
    const again = refreshed.claims();
    expect(again).toMatchObject({ sub: 'u-alice', aud: client.id, auth_time: claims?.auth_time });
    expect(again?.nonce).toBeUndefined();
    expect(again?.at_hash).toBe(atHashOf(refreshed.access_token));

    // RP-initiated logout with the ID Token as the hint: straight back to the client, with its state.
    const logoutState = openid.randomState();
    const endSession = openid.buildEndSessionUrl(config, {
      id_token_hint: refreshed.id_token ?? '',
      post_logout_redirect_uri: client.postLogoutRedirectUri ?? '',
      state: logoutState,
    });
    expect(endSession.pathname).toBe('/end-session');
    expect(jar.has('kraikub_session')).toBe(true);
    const signedOut = await browse(endSession, jar);
    expect(signedOut.status).toBe(303);
    const back = new URL(signedOut.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(client.postLogoutRedirectUri);
    expect(back.searchParams.get('state')).toBe(logoutState);
    expect(jar.has('kraikub_session'), 'the session cookie is cleared').toBe(false);

    // Signed out: a silent sign-in now needs the user (login_required), where before it needed nothing.
    const silent = openid.buildAuthorizationUrl(config, {
      redirect_uri: client.redirectUri,
      scope: 'openid',
      state: openid.randomState(),
      prompt: 'none',
      code_challenge: await openid.calculatePKCECodeChallenge(openid.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const refused = new URL((await browse(silent, jar)).headers.get('location') ?? '');
    expect(refused.searchParams.get('error')).toBe('login_required');
  });

  test('logout to an unregistered post_logout_redirect_uri is refused, without a redirect', async () => {
    const { config } = await configure('client_secret_basic', 'oidc-bad-logout');
    const url = openid.buildEndSessionUrl(config, {
      post_logout_redirect_uri: 'https://attacker.example/',
      client_id: 'oidc-bad-logout',
    });
    const response = await browse(url, new Map());
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('oauth4webapi (OpenID Connect) against the provider', () => {
  async function setUp(id: string) {
    const testClient = await provider.register(id, 'client_secret_post', { openid: true });
    const issuer = new URL(provider.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: true }),
    );
    const client: oauth.Client = { client_id: testClient.id };
    const auth = oauth.ClientSecretPost(testClient.secret ?? '');
    const options = { [oauth.allowInsecureRequests]: true } as const;

    /** An authorization request; `redeem` validates the response and the ID Token. */
    const authorize = async (extra: Record<string, string> = {}) => {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const nonce = oauth.generateRandomNonce();
      const url = new URL(as.authorization_endpoint ?? '');
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: testClient.id,
        redirect_uri: testClient.redirectUri,
        scope: 'openid profile',
        state,
        nonce,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...extra,
      }).toString();
      const redeem = async (callback: URL, maxAge?: number) => {
        const params = oauth.validateAuthResponse(as, client, callback, state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          auth,
          params,
          testClient.redirectUri,
          verifier,
          options,
        );
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: nonce,
          requireIdToken: true,
          ...(maxAge === undefined ? {} : { maxAge }),
        });
        // The ID Token's JWS signature, through the provider's jwks_uri (the library keeps the processed response).
        await oauth.validateApplicationLevelSignature(as, response, options);
        return { result, claims: oauth.getValidatedIdTokenClaims(result) };
      };
      return { url, redeem };
    };
    return { testClient, as, client, auth, options, authorize };
  }

  test('the ID Token: signature through the JWKS, at_hash, nonce; UserInfo for the same subject', async () => {
    const { testClient, as, client, options, authorize } = await setUp('o4w-oidc');
    const { url, redeem } = await authorize();
    const { callback } = await userAgent(provider.issuer, url, testClient.redirectUri, {
      ...alice,
      decision: 'approve',
    });
    const { result, claims } = await redeem(callback);
    expect(claims).toMatchObject({ sub: 'u-alice', aud: testClient.id, azp: testClient.id });
    expect(claims?.at_hash).toBe(atHashOf(result.access_token));

    const userinfo = await oauth.processUserInfoResponse(
      as,
      client,
      'u-alice',
      await oauth.userInfoRequest(as, client, result.access_token, options),
    );
    // profile only: no email claims without the email scope.
    expect(userinfo).toEqual({ sub: 'u-alice', name: 'Alice Liddell', preferred_username: 'alice' });
    // A subject mismatch is what the library must catch: it refuses this response for another user.
    await expect(
      oauth.processUserInfoResponse(
        as,
        client,
        'u-bob',
        await oauth.userInfoRequest(as, client, result.access_token, options),
      ),
    ).rejects.toThrow();
  });

  test('prompt=none and max_age: silent with a session, login_required without, max_age=0 signs in again', async () => {
    const { testClient, authorize } = await setUp('o4w-prompt');
    const jar = new Map<string, string>();
    const user = { ...alice, decision: 'approve' as const };

    const first = await authorize();
    const firstRun = await userAgent(provider.issuer, first.url, testClient.redirectUri, user, jar);
    expect(firstRun.pages).toEqual(['/login', '/consent']);
    const { claims: firstClaims } = await first.redeem(firstRun.callback);

    // With the session and the consent remembered: no page at all.
    const silent = await authorize({ prompt: 'none' });
    const silentRun = await userAgent(provider.issuer, silent.url, testClient.redirectUri, user, jar);
    expect(silentRun.pages).toEqual([]);
    const { claims: silentClaims } = await silent.redeem(silentRun.callback);
    expect(silentClaims?.auth_time, 'the same sign-in').toBe(firstClaims?.auth_time);

    // max_age=0: the user signs in again, and auth_time says when (the library checks it against maxAge).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const fresh = await authorize({ max_age: '0' });
    const freshRun = await userAgent(provider.issuer, fresh.url, testClient.redirectUri, user, jar);
    expect(freshRun.pages).toEqual(['/login']);
    const { claims: freshClaims } = await fresh.redeem(freshRun.callback, 0);
    expect(freshClaims?.auth_time).toBeGreaterThan(firstClaims?.auth_time ?? Number.POSITIVE_INFINITY);

    // Another browser, no session: prompt=none cannot show the login page.
    const stranger = await authorize({ prompt: 'none' });
    const refused = await userAgent(provider.issuer, stranger.url, testClient.redirectUri, user, new Map());
    expect(refused.pages).toEqual([]);
    expect(refused.callback.searchParams.get('error')).toBe('login_required');
    expect(refused.callback.searchParams.get('iss')).toBe(provider.issuer);
  });
});

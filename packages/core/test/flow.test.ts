import { describe, expect, test } from 'vitest';
import { basicAuth, exchange, harness, ISSUER, introspectAs, issueCode, SECRETS, unwrap } from './support.ts';

describe('the "Connect to Kraikub" flow, end to end', () => {
  test('RFC 6749 §4.1: authorize → approve → exchange → introspect → refresh → revoke', async () => {
    const h = await harness();

    // §4.1.1-4.1.2: the authorization request, approval, and the redirect with code, state and iss.
    const request = unwrap(
      await h.server.authorize(
        new URLSearchParams({
          response_type: 'code',
          client_id: 'basic-client',
          redirect_uri: 'https://client.example/callback',
          scope: 'profile email',
          state: 's-123',
        }),
      ),
    );
    expect(request.client).toEqual({ id: 'basic-client', name: 'Basic Client', confidential: true });
    expect(request.scopes).toEqual(['profile', 'email']);
    const response = unwrap(await h.server.approve(request, { subject: 'alice' }));
    const redirect = new URL(response.url);
    expect(`${redirect.origin}${redirect.pathname}`).toBe('https://client.example/callback');
    expect(redirect.searchParams.get('state')).toBe('s-123');
    expect(redirect.searchParams.get('iss')).toBe(ISSUER);
    const code = redirect.searchParams.get('code') ?? '';
    expect(code).toMatch(/^kbc_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);

    // §4.1.3-4.1.4: the token request.
    const tokens = unwrap(await exchange(h, code));
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'profile email' });
    expect(tokens.access_token).toMatch(/^kba_/);
    expect(tokens.refresh_token).toMatch(/^kbr_/);

    // RFC 7662: the access token is active and says whose it is.
    const now = Math.floor(h.clock.now() / 1000);
    expect(await introspectAs(h, tokens.access_token)).toEqual({
      active: true,
      scope: 'profile email',
      client_id: 'basic-client',
      sub: 'alice',
      exp: now + 3600,
      iat: now,
      token_type: 'Bearer',
      iss: ISSUER,
    });

    // RFC 6749 §6: refresh rotates; the old refresh token is no longer active.
    h.clock.advance(60_000);
    const refreshed = unwrap(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
        authorization: basicAuth('basic-client', SECRETS.basic),
      }),
    );
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(await introspectAs(h, tokens.refresh_token ?? '')).toEqual({ active: false });
    expect(await introspectAs(h, refreshed.refresh_token ?? '')).toMatchObject({
      active: true,
      sub: 'alice',
    });

    // RFC 7009: revoking the refresh token revokes the whole grant.
    unwrap(
      await h.server.revoke({
        params: { token: refreshed.refresh_token ?? '', token_type_hint: 'refresh_token' },
        authorization: basicAuth('basic-client', SECRETS.basic),
      }),
    );
    for (const token of [tokens.access_token, refreshed.access_token, refreshed.refresh_token ?? '']) {
      expect(await introspectAs(h, token)).toEqual({ active: false });
    }
  });

  test('RFC 7636: a public client runs the flow with PKCE S256 and no secret', async () => {
    const h = await harness();
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 Appendix B
    const request = unwrap(
      await h.server.authorize({
        response_type: 'code',
        client_id: 'public-client',
        redirect_uri: 'http://127.0.0.1:53127/native-cb',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    expect(request.scopes).toEqual(['profile']);
    const code = new URL(unwrap(await h.server.approve(request, { subject: 'bob' })).url).searchParams.get(
      'code',
    );
    const tokens = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: 'http://127.0.0.1:53127/native-cb',
          client_id: 'public-client',
          code_verifier: verifier,
        },
      }),
    );
    expect(tokens.scope).toBe('profile');
    const info = unwrap(await h.server.verifyAccessToken(tokens.access_token));
    expect(info).toMatchObject({ clientId: 'public-client', subject: 'bob', scopes: ['profile'] });
  });

  test('RFC 6749 §4.1.2.1: deny redirects with access_denied, state and iss', async () => {
    const h = await harness();
    const { request } = await issueCode(h, { state: 'a b&c=d+e%f' });
    const denied = h.server.deny(request);
    const url = new URL(denied.url);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('a b&c=d+e%f');
    expect(url.searchParams.get('iss')).toBe(ISSUER);
    expect(url.searchParams.get('code')).toBeNull();
  });
});

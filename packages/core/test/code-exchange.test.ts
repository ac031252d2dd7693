import { describe, expect, test } from 'vitest';
import {
  basicAuth,
  exchange,
  harness,
  introspectAs,
  issueCode,
  pkcePair,
  SECRETS,
  unwrap,
  unwrapErr,
} from './support.ts';

describe('code exchange (RFC 6749 §4.1.3)', () => {
  test('RFC 6749 §4.1.2: a replayed code fails and revokes every token of its grant (RFC 9700 §4.2.4)', async () => {
    const h = await harness();
    const { code } = await issueCode(h);
    const first = unwrap(await exchange(h, code));
    const replay = unwrapErr(await exchange(h, code));
    expect(replay.error).toBe('invalid_grant');
    expect(await introspectAs(h, first.access_token)).toEqual({ active: false });
    expect(await introspectAs(h, first.refresh_token ?? '')).toEqual({ active: false });
  });

  test('RFC 6749 §10.5: parallel exchanges of one code yield exactly one set of tokens', async () => {
    const h = await harness();
    const { code } = await issueCode(h);
    const results = await Promise.all(Array.from({ length: 25 }, () => exchange(h, code)));
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    expect(results.filter((r) => r.isErr() && r.error.error === 'invalid_grant')).toHaveLength(24);
  });

  test('RFC 6749 §4.1.3: a code issued to another client is invalid_grant', async () => {
    const h = await harness();
    const { code } = await issueCode(h);
    const error = unwrapErr(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'https://client.example/callback',
          client_id: 'post-client',
          client_secret: SECRETS.post,
        },
      }),
    );
    expect(error.error).toBe('invalid_grant');
  });

  test.each([
    ['a different redirect_uri', { redirect_uri: 'https://client.example/other?x=1' }],
    ['a redirect_uri with a trailing slash', { redirect_uri: 'https://client.example/callback/' }],
  ])('RFC 6749 §4.1.3: %s is invalid_grant', async (_name, params) => {
    const h = await harness();
    const { code } = await issueCode(h);
    expect(unwrapErr(await exchange(h, code, params)).error).toBe('invalid_grant');
  });

  test('RFC 6749 §4.1.3: redirect_uri is required when the authorization request had it', async () => {
    const h = await harness();
    const { code } = await issueCode(h);
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'authorization_code', code },
        authorization: basicAuth('basic-client', SECRETS.basic),
      }),
    );
    expect(error.error).toBe('invalid_grant');
  });

  test('RFC 6749 §4.1.3: redirect_uri may be omitted when the authorization request omitted it', async () => {
    const h = await harness();
    const request = unwrap(
      await h.server.authorize({ response_type: 'code', client_id: 'post-client', scope: 'profile' }),
    );
    expect(request.redirectUriProvided).toBe(false);
    const code = new URL(unwrap(await h.server.approve(request, { subject: 'u' })).url).searchParams.get(
      'code',
    );
    const tokens = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code: code ?? '',
          client_id: 'post-client',
          client_secret: SECRETS.post,
        },
      }),
    );
    expect(tokens.scope).toBe('profile');
  });

  test('RFC 6749 §4.1.2: an expired code is invalid_grant', async () => {
    const h = await harness();
    const { code } = await issueCode(h);
    h.clock.advance(60_001);
    expect(unwrapErr(await exchange(h, code)).error).toBe('invalid_grant');
  });

  test.each([
    ['garbage', 'not-a-code'],
    ['an access-token-shaped value', `kba_${'A'.repeat(22)}.${'B'.repeat(43)}`],
    ['a well-formed unknown code', `kbc_${'A'.repeat(22)}.${'B'.repeat(43)}`],
  ])('RFC 6749 §5.2: %s as code is invalid_grant', async (_name, code) => {
    const h = await harness();
    expect(unwrapErr(await exchange(h, code)).error).toBe('invalid_grant');
  });

  test('RFC 6749 §5.2: a missing code is invalid_request', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'authorization_code' },
        authorization: basicAuth('basic-client', SECRETS.basic),
      }),
    );
    expect(error.error).toBe('invalid_request');
  });

  describe('PKCE (RFC 7636 §4.6)', () => {
    test('the right verifier succeeds', async () => {
      const h = await harness();
      const pkce = await pkcePair();
      const { code } = await issueCode(h, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
      expect(unwrap(await exchange(h, code, { code_verifier: pkce.verifier })).token_type).toBe('Bearer');
    });

    test.each([
      ['missing', undefined],
      ['wrong', 'x'.repeat(43)],
      ['too short', 'abc'],
    ])('a %s verifier is invalid_grant', async (_name, verifier) => {
      const h = await harness();
      const pkce = await pkcePair();
      const { code } = await issueCode(h, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
      const params: Record<string, string> = verifier === undefined ? {} : { code_verifier: verifier };
      expect(unwrapErr(await exchange(h, code, params)).error).toBe('invalid_grant');
    });

    test('RFC 9700 §4.8.2: a verifier for a code issued without a challenge is invalid_grant', async () => {
      const h = await harness();
      const { code } = await issueCode(h);
      const pkce = await pkcePair();
      expect(unwrapErr(await exchange(h, code, { code_verifier: pkce.verifier })).error).toBe(
        'invalid_grant',
      );
    });
  });

  test('RFC 6749 §5.1: a client without the refresh_token grant gets no refresh token', async () => {
    const h = await harness();
    h.clients.register({
      id: 'no-refresh',
      name: 'No Refresh',
      redirectUris: ['https://nr.example/cb'],
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
      scopes: ['profile'],
    });
    const pkce = await pkcePair();
    const request = unwrap(
      await h.server.authorize({
        response_type: 'code',
        client_id: 'no-refresh',
        scope: 'profile',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    const code = new URL(unwrap(await h.server.approve(request, { subject: 'u' })).url).searchParams.get(
      'code',
    );
    const tokens = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code: code ?? '',
          client_id: 'no-refresh',
          code_verifier: pkce.verifier,
        },
      }),
    );
    expect(tokens.refresh_token).toBeUndefined();
  });
});

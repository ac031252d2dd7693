import { describe, expect, test } from 'vitest';
import {
  asBasic,
  basicAuth,
  harness,
  introspectAs,
  SECRETS,
  tokensFor,
  unwrap,
  unwrapErr,
} from './support.ts';

describe('revocation (RFC 7009)', () => {
  test('RFC 7009 §2.1: revoking an access token leaves the refresh token alone', async () => {
    const h = await harness();
    const tokens = await tokensFor(h);
    unwrap(await h.server.revoke({ params: { token: tokens.access_token }, authorization: asBasic }));
    expect(await introspectAs(h, tokens.access_token)).toEqual({ active: false });
    expect(await introspectAs(h, tokens.refresh_token ?? '')).toMatchObject({ active: true });
  });

  test('RFC 7009 §2.1: a wrong token_type_hint does not hide the token', async () => {
    const h = await harness();
    const tokens = await tokensFor(h);
    unwrap(
      await h.server.revoke({
        params: { token: tokens.refresh_token ?? '', token_type_hint: 'access_token' },
        authorization: asBasic,
      }),
    );
    expect(await introspectAs(h, tokens.access_token)).toEqual({ active: false });
  });

  test('RFC 7009 §2.2: unknown tokens succeed silently', async () => {
    const h = await harness();
    for (const token of ['junk', `kba_${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      expect((await h.server.revoke({ params: { token }, authorization: asBasic })).isOk()).toBe(true);
    }
  });

  test("RFC 7009 §2.1: another client's token is left alone", async () => {
    const h = await harness();
    const tokens = await tokensFor(h);
    const result = await h.server.revoke({
      params: { token: tokens.refresh_token ?? '', client_id: 'post-client', client_secret: SECRETS.post },
    });
    expect(result.isOk()).toBe(true);
    expect(await introspectAs(h, tokens.refresh_token ?? '')).toMatchObject({ active: true });
  });

  test('RFC 7009 §2.1: a missing token is invalid_request; bad credentials invalid_client', async () => {
    const h = await harness();
    expect(unwrapErr(await h.server.revoke({ params: {}, authorization: asBasic })).error).toBe(
      'invalid_request',
    );
    expect(
      unwrapErr(
        await h.server.revoke({ params: { token: 'x' }, authorization: basicAuth('basic-client', 'bad') }),
      ).error,
    ).toBe('invalid_client');
  });
});

describe('revoking a grant by id (host-initiated, e.g. consent withdrawn)', () => {
  test('RFC 7009 §2.1: approve returns the grant id; revokeGrant ends its code and tokens', async () => {
    const h = await harness();
    const request = unwrap(
      await h.server.authorize({
        response_type: 'code',
        client_id: 'basic-client',
        redirect_uri: 'https://client.example/callback',
        scope: 'profile',
      }),
    );
    const first = unwrap(await h.server.approve(request, { subject: 'u' }));
    const second = unwrap(await h.server.approve(request, { subject: 'u' }));
    expect(first.grantId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.parameters.code).toContain(first.grantId);
    const tokens = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code: first.parameters.code ?? '',
          redirect_uri: 'https://client.example/callback',
        },
        authorization: asBasic,
      }),
    );
    unwrap(await h.server.revokeGrant(first.grantId ?? ''));
    expect(await introspectAs(h, tokens.access_token)).toEqual({ active: false });
    expect(await introspectAs(h, tokens.refresh_token ?? '')).toEqual({ active: false });
    // Another grant of the same user and client is untouched.
    const other = await h.server.token({
      params: {
        grant_type: 'authorization_code',
        code: second.parameters.code ?? '',
        redirect_uri: 'https://client.example/callback',
      },
      authorization: asBasic,
    });
    expect(other.isOk()).toBe(true);
    expect((await h.server.revokeGrant('unknown-grant')).isOk()).toBe(true);
  });
});

import { describe, expect, test } from 'vitest';
import { asBasic, harness, introspectAs, unwrap, unwrapErr } from './support.ts';

describe('client credentials (RFC 6749 §4.4)', () => {
  test('RFC 6749 §4.4.3: issues an access token without a refresh token', async () => {
    const h = await harness();
    const tokens = unwrap(
      await h.server.token({
        params: { grant_type: 'client_credentials', scope: 'email' },
        authorization: asBasic,
      }),
    );
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe('email');
    const info = await introspectAs(h, tokens.access_token);
    expect(info).toMatchObject({ active: true, client_id: 'basic-client', scope: 'email' });
    expect(info).not.toHaveProperty('sub');
  });

  test('RFC 6749 §3.3: a scope outside the client is invalid_scope', async () => {
    const h = await harness();
    h.clients.register({
      id: 'svc',
      name: 'Service',
      tokenEndpointAuthMethod: 'client_secret_post',
      secretHash: (await import('@kraikub/core')).base64url(new Uint8Array(32)),
      grantTypes: ['client_credentials'],
      scopes: ['email'],
    });
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile', client_id: 'svc', client_secret: 'x' },
      }),
    );
    expect(error.error).toBe('invalid_client');
  });
});

import { describe, expect, test } from 'vitest';
import {
  basicAuth,
  clientRecords,
  harness,
  ISSUER,
  introspectAs,
  issueCode,
  SECRETS,
  tokensFor,
  unwrap,
  unwrapErr,
} from './support.ts';

const asBasic = basicAuth('basic-client', SECRETS.basic);

describe('client authentication (RFC 6749 §2.3)', () => {
  test('RFC 6749 §5.2: a wrong secret over Basic is invalid_client with basicAuth', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials' },
        authorization: basicAuth('basic-client', 'nope'),
      }),
    );
    expect(error).toMatchObject({ error: 'invalid_client', basicAuth: true });
  });

  test('RFC 6749 §5.2: an unknown client over the body is invalid_client without basicAuth', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'x' },
      }),
    );
    expect(error).toMatchObject({ error: 'invalid_client', basicAuth: false });
  });

  test('RFC 6749 §2.3: a client must use the method it registered', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_id: 'basic-client', client_secret: SECRETS.basic },
      }),
    );
    expect(error.error).toBe('invalid_client');
  });

  test('RFC 6749 §2.3.1: Basic and a body secret together is invalid_request', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_secret: SECRETS.basic },
        authorization: asBasic,
      }),
    );
    expect(error.error).toBe('invalid_request');
  });

  test('a rotated client secret counts at once and the old one stops working (digests are not cached by client)', async () => {
    const h = await harness();
    const { sha256Base64url, webCrypto } = await import('@kraikub/core');
    const record = (await clientRecords())[0];
    const request = (secret: string) =>
      h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile' },
        authorization: basicAuth(record.id, secret),
      });
    expect((await request(SECRETS.basic)).isOk()).toBe(true);
    h.clients.register({ ...record, secretHash: await sha256Base64url(webCrypto, 'kbs_rotated-secret') });
    expect(unwrapErr(await request(SECRETS.basic)).error).toBe('invalid_client');
    expect((await request('kbs_rotated-secret')).isOk()).toBe(true);
    // And back: the first digest is still decoded correctly after the second.
    h.clients.register(record);
    expect((await request(SECRETS.basic)).isOk()).toBe(true);
    expect(unwrapErr(await request('kbs_rotated-secret')).error).toBe('invalid_client');
  });

  test('RFC 6749 Appendix B: Basic credentials are form-decoded', async () => {
    const h = await harness();
    const secret = 'kbs_s3cr:t+with %20 odd&chars';
    const { sha256Base64url, webCrypto } = await import('@kraikub/core');
    h.clients.register({
      id: 'odd id:1',
      name: 'Odd',
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await sha256Base64url(webCrypto, secret),
      grantTypes: ['client_credentials'],
      scopes: ['profile'],
    });
    const encoded = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    const header = `Basic ${btoa(`${encoded('odd id:1')}:${encoded(secret)}`)}`;
    const tokens = unwrap(
      await h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile' },
        authorization: header,
      }),
    );
    expect(tokens.scope).toBe('profile');
  });
});

describe('token endpoint dispatch (RFC 6749 §5.2)', () => {
  test.each([
    ['a missing grant_type', {}, 'invalid_request'],
    ['grant_type=password', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['grant_type=implicit', { grant_type: 'implicit' }, 'unsupported_grant_type'],
    [
      'a repeated grant_type',
      { grant_type: ['client_credentials', 'client_credentials'] },
      'invalid_request',
    ],
    ['a repeated code', { grant_type: 'authorization_code', code: ['a', 'b'] }, 'invalid_request'],
  ])('%s', async (_name, params, code) => {
    const h = await harness();
    expect(unwrapErr(await h.server.token({ params, authorization: asBasic })).error).toBe(code);
  });

  test('RFC 6749 §5.2: a grant type the client may not use is unauthorized_client', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_id: 'post-client', client_secret: SECRETS.post },
      }),
    );
    expect(error.error).toBe('unauthorized_client');
  });
});

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

describe('introspection (RFC 7662)', () => {
  test('RFC 7662 §2.2: expired tokens are { active: false } and nothing else', async () => {
    const h = await harness();
    const tokens = await tokensFor(h);
    h.clock.advance(3600_000);
    expect(await introspectAs(h, tokens.access_token)).toEqual({ active: false });
    expect(await introspectAs(h, tokens.refresh_token ?? '')).toMatchObject({
      active: true,
      token_type: 'refresh_token',
    });
  });

  test('RFC 7662 §2.1: public clients cannot introspect', async () => {
    const h = await harness();
    const tokens = await tokensFor(h);
    const error = unwrapErr(
      await h.server.introspect({ params: { token: tokens.access_token, client_id: 'public-client' } }),
    );
    expect(error.error).toBe('invalid_client');
  });

  test("RFC 7662 §4: a client sees its own tokens, never another client's", async () => {
    const h = await harness();
    const own = await tokensFor(h);
    const { code } = await issueCode(h, {
      client_id: 'post-client',
      redirect_uri: 'https://post.example/cb',
      scope: 'profile',
    });
    const other = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'https://post.example/cb',
          client_id: 'post-client',
          client_secret: SECRETS.post,
        },
      }),
    );
    expect(await introspectAs(h, own.access_token)).toMatchObject({
      active: true,
      client_id: 'basic-client',
    });
    expect(await introspectAs(h, own.refresh_token ?? '')).toMatchObject({ active: true });
    // Another client's tokens look exactly like unknown ones.
    expect(await introspectAs(h, other.access_token)).toEqual({ active: false });
    expect(await introspectAs(h, other.refresh_token ?? '')).toEqual({ active: false });
    expect(await introspectAs(h, other.access_token, 'post-client')).toMatchObject({ active: true });
  });

  test("RFC 7662 §4: a registered resource server sees every access token, but no other client's refresh token", async () => {
    const h = await harness({
      config: { resourceServers: [{ resource: 'https://api.example.com', clientId: 'basic-client' }] },
    });
    const { code } = await issueCode(h, {
      client_id: 'post-client',
      redirect_uri: 'https://post.example/cb',
      scope: 'profile',
    });
    const other = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'https://post.example/cb',
          client_id: 'post-client',
          client_secret: SECRETS.post,
        },
      }),
    );
    expect(await introspectAs(h, other.access_token)).toMatchObject({
      active: true,
      client_id: 'post-client',
    });
    expect(await introspectAs(h, other.refresh_token ?? '')).toEqual({ active: false });
  });

  test('a resource server must be an absolute URI without fragment', async () => {
    await expect(harness({ config: { resourceServers: [{ resource: '/api' }] } })).rejects.toThrow(
      /resourceServers\.0\.resource: must be an absolute URI/,
    );
    await expect(
      harness({ config: { resourceServers: [{ resource: 'https://api.example/#x' }] } }),
    ).rejects.toThrow(/must have no fragment/);
  });

  test('RFC 7662 §2.2: unknown or junk tokens are inactive', async () => {
    const h = await harness();
    for (const token of ['junk', '', `kbr_${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      const result = await h.server.introspect({ params: { token }, authorization: asBasic });
      if (token === '') expect(unwrapErr(result).error).toBe('invalid_request');
      else expect(unwrap(result)).toEqual({ active: false });
    }
  });
});

describe('metadata (RFC 8414 §2)', () => {
  test('describes the endpoints and capabilities', async () => {
    const h = await harness();
    expect(h.server.metadata()).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      revocation_endpoint: `${ISSUER}/revoke`,
      introspection_endpoint: `${ISSUER}/introspect`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: ['profile', 'email', 'offline'],
    });
  });

  test('a bad config throws a TypeError naming the field', async () => {
    await expect(harness({ config: { ttl: { code: 601 } } })).rejects.toThrow(/ttl\.code/);
    await expect(harness({ config: { issuer: 'http://id.example.com' } })).rejects.toThrow(/issuer/);
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

import { decodeBase64url } from '@kraikub/core';
import { describe, expect, test, vi } from 'vitest';
import { testSigner } from './signer.ts';
import {
  asBasic,
  basicAuth,
  exchange,
  harness,
  introspectAs,
  issueCode,
  SECRETS,
  unwrap,
  unwrapErr,
} from './support.ts';

const API = 'https://api.example.com';
const MCP = 'https://mcp.example.com/mcp';
const FILES = 'https://files.example.com';

/** Resource servers: the API accepts profile and email, MCP only profile, FILES any scope. */
const resourceServers = [
  { resource: API, scopes: ['profile', 'email'], clientId: 'post-client' },
  { resource: MCP, scopes: ['profile'] },
  { resource: FILES },
];

const resourceHarness = (config: Record<string, unknown> = {}) =>
  harness({ config: { resourceServers, ...config } });

const payloadOf = (jwt: string) =>
  JSON.parse(new TextDecoder().decode(decodeBase64url(jwt.split('.')[1] ?? ''))) as Record<string, unknown>;
const headerOf = (jwt: string) =>
  JSON.parse(new TextDecoder().decode(decodeBase64url(jwt.split('.')[0] ?? ''))) as Record<string, unknown>;

describe('resource indicators (RFC 8707)', () => {
  test('§2.1: several resources at the authorization endpoint; the token is for all of them', async () => {
    const h = await resourceHarness();
    const { code, request } = await issueCode(h, { resource: [API, FILES] as unknown as string });
    expect(request.resources).toEqual([API, FILES]);
    const tokens = unwrap(await exchange(h, code));
    expect(await introspectAs(h, tokens.access_token)).toMatchObject({ active: true, aud: [API, FILES] });
    const info = unwrap(await h.server.verifyAccessToken(tokens.access_token));
    expect(info?.audience).toEqual([API, FILES]);
  });

  test('§2: an unknown, malformed or disallowed resource is invalid_target, redirected with state', async () => {
    const h = await resourceHarness();
    await h.clients.register({
      id: 'api-only',
      name: 'API only',
      redirectUris: ['https://api-only.example/cb'],
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
      scopes: ['profile'],
      resources: [API],
    });
    const base = {
      response_type: 'code',
      client_id: 'basic-client',
      redirect_uri: 'https://client.example/callback',
      scope: 'profile',
      state: 's1',
    };
    for (const resource of ['https://unknown.example', 'not a uri', `${API}#frag`, '/relative']) {
      const error = unwrapErr(await h.server.authorize({ ...base, resource }));
      expect(error.error).toBe('invalid_target');
      expect(error.redirect).toMatchObject({ redirectUri: base.redirect_uri, state: 's1' });
      expect(error.description).toMatch(/^[\x20-\x7e]+$/);
    }
    const disallowed = unwrapErr(
      await h.server.authorize({
        ...base,
        client_id: 'api-only',
        redirect_uri: 'https://api-only.example/cb',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        resource: MCP,
      }),
    );
    expect(disallowed.error).toBe('invalid_target');
  });

  test('§2.2: the token request narrows to granted resources; another one is invalid_target', async () => {
    const h = await resourceHarness();
    const { code } = await issueCode(h, { resource: [API, FILES] as unknown as string });
    const refused = unwrapErr(await exchange(h, code, { resource: MCP }));
    expect(refused.error).toBe('invalid_target');
    // A refused token request does not burn the code.
    const tokens = unwrap(await exchange(h, code, { resource: FILES }));
    expect(await introspectAs(h, tokens.access_token)).toMatchObject({ aud: FILES });
  });

  test('the access token carries only the scopes its resources accept', async () => {
    const h = await resourceHarness();
    const { code } = await issueCode(h, { resource: MCP, scope: 'profile email' });
    const tokens = unwrap(await exchange(h, code));
    expect(tokens.scope).toBe('profile');
    // The grant keeps both: a refresh for the API gets email back.
    const refreshed = unwrap(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
        authorization: asBasic,
      }),
    );
    expect(refreshed.scope).toBe('profile');
    const mixed = await issueCode(h, { resource: [MCP, API] as unknown as string, scope: 'profile email' });
    expect(unwrap(await exchange(h, mixed.code)).scope).toBe('profile email');
  });

  test('§2.2: a refresh may narrow to one of the granted resources, never widen', async () => {
    const h = await resourceHarness();
    const { code } = await issueCode(h, { resource: [API, FILES] as unknown as string });
    const tokens = unwrap(await exchange(h, code));
    const refresh = (refreshToken: string, resource?: string) =>
      h.server.token({
        params: {
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          ...(resource === undefined ? {} : { resource }),
        },
        authorization: asBasic,
      });
    expect(unwrapErr(await refresh(tokens.refresh_token ?? '', MCP)).error).toBe('invalid_target');
    const narrowed = unwrap(await refresh(tokens.refresh_token ?? '', API));
    expect(await introspectAs(h, narrowed.access_token)).toMatchObject({ aud: API });
    // The grant's resources stay: the next refresh (no resource) is for both again.
    const both = unwrap(await refresh(narrowed.refresh_token ?? ''));
    expect(await introspectAs(h, both.access_token)).toMatchObject({ aud: [API, FILES] });
  });

  test('verifyAccessToken({ audience }) refuses a token for another resource, or for none', async () => {
    const h = await resourceHarness();
    const forApi = unwrap(await exchange(h, (await issueCode(h, { resource: API })).code));
    const unbound = unwrap(await exchange(h, (await issueCode(h)).code));
    expect(unwrap(await h.server.verifyAccessToken(forApi.access_token, { audience: API }))).toMatchObject({
      audience: [API],
    });
    expect(unwrap(await h.server.verifyAccessToken(forApi.access_token, { audience: MCP }))).toBeUndefined();
    expect(unwrap(await h.server.verifyAccessToken(unbound.access_token, { audience: API }))).toBeUndefined();
    // Without an audience to check, both are valid (a resource server that does not check binding).
    expect(unwrap(await h.server.verifyAccessToken(unbound.access_token))?.audience).toEqual([]);
  });

  test('defaultResources bind a request that names none', async () => {
    const h = await resourceHarness({ defaultResources: [FILES] });
    const { code, request } = await issueCode(h);
    expect(request.resources).toEqual([FILES]);
    const tokens = unwrap(await exchange(h, code));
    expect(await introspectAs(h, tokens.access_token)).toMatchObject({ aud: FILES });
    await expect(resourceHarness({ defaultResources: ['https://nowhere.example'] })).rejects.toThrow(
      /defaultResources\.0: must be a registered resource server/,
    );
  });

  test('client credentials: resource binds the token; an unknown one is invalid_target', async () => {
    const h = await resourceHarness();
    const cc = (resource?: string) =>
      h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile', ...(resource ? { resource } : {}) },
        authorization: asBasic,
      });
    const bound = unwrap(await cc(MCP));
    expect(unwrap(await h.server.verifyAccessToken(bound.access_token, { audience: MCP }))).toBeDefined();
    expect(unwrapErr(await cc('https://unknown.example')).error).toBe('invalid_target');
  });

  test('RFC 7662 §4: a resource server introspects the tokens meant for it (or for none), not others', async () => {
    const h = await resourceHarness();
    const introspectAsApi = (token: string) =>
      h.server.introspect({ params: { token, client_id: 'post-client', client_secret: SECRETS.post } });
    const forApi = unwrap(await exchange(h, (await issueCode(h, { resource: API })).code));
    const forMcp = unwrap(await exchange(h, (await issueCode(h, { resource: MCP })).code));
    const unbound = unwrap(await exchange(h, (await issueCode(h)).code));
    expect(unwrap(await introspectAsApi(forApi.access_token))).toMatchObject({ active: true, aud: API });
    expect(unwrap(await introspectAsApi(forMcp.access_token))).toEqual({ active: false });
    expect(unwrap(await introspectAsApi(unbound.access_token))).toMatchObject({ active: true });
  });

  test('a resource removed from the client between authorize and approve is refused at approve', async () => {
    const h = await resourceHarness();
    const request = unwrap(
      await h.server.authorize({
        response_type: 'code',
        client_id: 'basic-client',
        redirect_uri: 'https://client.example/callback',
        scope: 'profile',
        resource: API,
      }),
    );
    const basic = await h.clients.findClient('basic-client');
    await h.clients.updateClient({ ...(basic as NonNullable<typeof basic>), resources: [FILES] });
    expect(unwrapErr(await h.server.approve(request, { subject: 'u' })).error).toBe('invalid_target');
  });
});

describe('JWT access tokens (RFC 9068)', () => {
  const jwtServers = [
    { resource: API, accessTokenFormat: 'jwt' as const, scopes: ['profile', 'email'] },
    { resource: FILES },
  ];

  async function jwtHarness() {
    const signer = await testSigner(['k1']);
    return { h: await harness({ config: { resourceServers: jwtServers }, signer }), signer };
  }

  test('§2: a JWT for a resource that wants one, typ at+jwt, the claims of §2.2; opaque otherwise', async () => {
    const { h, signer } = await jwtHarness();
    const { code } = await issueCode(h, { resource: API });
    const tokens = unwrap(await exchange(h, code));
    expect(headerOf(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: 'k1' });
    const claims = payloadOf(tokens.access_token);
    expect(claims).toMatchObject({
      iss: 'https://id.kraikub.test',
      sub: 'user-1',
      aud: API,
      client_id: 'basic-client',
      scope: 'profile email',
    });
    expect(claims.exp).toBe((claims.iat as number) + 3600);
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    expect(await signer.verify(tokens.access_token, { typ: 'at+jwt' })).toMatchObject({ aud: API });
    // An ID Token's typ does not pass for an access token (RFC 9068 §4: explicit typing).
    expect(await signer.verify(tokens.access_token, { typ: 'JWT' })).toBeUndefined();
    // Mixed with an opaque resource: opaque.
    const mixed = unwrap(await exchange(h, (await issueCode(h, { resource: [API, FILES] as never })).code));
    expect(mixed.access_token).toMatch(/^kba_/);
  });

  test('a JWT access token is stored by its hash: verify, introspect, revoke, then inactive everywhere', async () => {
    const { h } = await jwtHarness();
    const tokens = unwrap(await exchange(h, (await issueCode(h, { resource: API })).code));
    expect(unwrap(await h.server.verifyAccessToken(tokens.access_token, { audience: API }))).toMatchObject({
      subject: 'user-1',
      audience: [API],
    });
    expect(await introspectAs(h, tokens.access_token)).toMatchObject({ active: true, aud: API });
    unwrap(await h.server.revoke({ params: { token: tokens.access_token }, authorization: asBasic }));
    expect(await introspectAs(h, tokens.access_token)).toEqual({ active: false });
    expect(unwrap(await h.server.verifyAccessToken(tokens.access_token))).toBeUndefined();
  });

  test('a JWT this server did not sign, a tampered one, or one of another issuer is inactive', async () => {
    const { h, signer } = await jwtHarness();
    const tokens = unwrap(await exchange(h, (await issueCode(h, { resource: API })).code));
    const other = await testSigner(['k1']);
    const forged = await other.sign(payloadOf(tokens.access_token), { typ: 'at+jwt' });
    const [head, , sig] = tokens.access_token.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...payloadOf(tokens.access_token), scope: 'admin' })).toString('base64url')}.${sig}`;
    // Same keys, another issuer (two servers sharing a key set): not ours.
    const foreign = await signer.sign(
      { ...payloadOf(tokens.access_token), iss: 'https://other.example' },
      {
        typ: 'at+jwt',
      },
    );
    const lookups = vi.spyOn(h.store, 'findAccessToken');
    for (const token of [forged, tampered, foreign, `${tokens.access_token}x`, 'a.b.c']) {
      expect(unwrap(await h.server.verifyAccessToken(token))).toBeUndefined();
      expect(await introspectAs(h, token)).toEqual({ active: false });
    }
    // Checked before any lookup: a JWT that is not ours never reaches the store.
    expect(lookups).not.toHaveBeenCalled();
  });

  test('refresh: a new JWT each time; the grace retry signs another one and stores it', async () => {
    const { h } = await jwtHarness();
    const { code } = await issueCode(h, {
      client_id: 'post-client',
      redirect_uri: 'https://post.example/cb',
      scope: 'profile',
      resource: API,
    });
    const tokens = unwrap(
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
    const refresh = () =>
      h.server.token({
        params: {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token ?? '',
          client_id: 'post-client',
          client_secret: SECRETS.post,
        },
      });
    const first = unwrap(await refresh());
    h.clock.advance(2_000);
    const retry = unwrap(await refresh());
    expect(retry.refresh_token).toBe(first.refresh_token);
    expect(retry.access_token).not.toBe(first.access_token);
    for (const token of [first.access_token, retry.access_token]) {
      expect(payloadOf(token)).toMatchObject({ aud: API, client_id: 'post-client' });
      expect(unwrap(await h.server.verifyAccessToken(token, { audience: API }))).toBeDefined();
    }
  });

  test('accessTokenFormat jwt without a signer is refused at creation', async () => {
    await expect(harness({ config: { resourceServers: jwtServers } })).rejects.toThrow(/need a signer/);
  });

  test('client credentials: sub is the client (RFC 9068 §2.2)', async () => {
    const { h } = await jwtHarness();
    const cc = unwrap(
      await h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile', resource: API },
        authorization: basicAuth('basic-client', SECRETS.basic),
      }),
    );
    expect(payloadOf(cc.access_token)).toMatchObject({ sub: 'basic-client', client_id: 'basic-client' });
  });
});

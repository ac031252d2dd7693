import type { AccessTokenVerifier } from '@kraikub/core';
import { StorageUnavailableError } from '@kraikub/core';
import { createJoseSigner, createJwtAccessTokenVerifier, generateSigningKey } from '@kraikub/jose';
import type { JSONWebKeySet } from 'jose';
import { describe, expect, test } from 'vitest';
import {
  protectedResourceMetadata,
  protectedResourceMetadataRoute,
  protectedResourceMetadataUrl,
  verifyBearer,
} from '../src/index.ts';
import { authorizeQuery, basic, codeFor, exchange, form, provider, REDIRECT, SECRET } from './support.ts';

const API = 'https://api.example.com';
const MCP = 'https://mcp.example.com/mcp';
const resourceServers = [{ resource: API }, { resource: MCP, scopes: ['profile'] }];
const at = (token?: string) =>
  new Request(`${MCP}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

async function tokenFor(resource: string | undefined) {
  const p = await provider('fetch', { config: { resourceServers } });
  const code = await codeFor(p, { resource });
  const body = (await (await exchange(p, code)).json()) as { access_token: string; scope: string };
  return { p, token: body.access_token, scope: body.scope };
}

describe('resource indicators over HTTP (RFC 8707)', () => {
  test('§2: an unknown resource at /authorize redirects invalid_target with state and iss', async () => {
    const p = await provider('fetch', { config: { resourceServers } });
    const response = await p.send(authorizeQuery({ resource: 'https://elsewhere.example' }), {
      headers: { 'x-test-user': 'alice' },
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_target');
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('iss')).toBe(p.server.config.issuer);
  });

  test('§2.2: a resource at /token outside the grant is 400 invalid_target, no-store', async () => {
    const p = await provider('fetch', { config: { resourceServers } });
    const code = await codeFor(p, { resource: API });
    const refused = await exchange(p, code, { resource: MCP });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.json()).toMatchObject({ error: 'invalid_target' });
    // Several resource parameters are not "repeated parameters": both granted, both in the token.
    const both = await codeFor(p, { resource: API });
    const ok = await p.send(
      '/token',
      form(
        { grant_type: 'authorization_code', code: both, redirect_uri: REDIRECT, resource: API },
        { authorization: basic('web', SECRET) },
      ),
    );
    expect(ok.status).toBe(200);
  });

  test('the token response scope is what the resource accepts', async () => {
    const { scope } = await tokenFor(MCP);
    expect(scope).toBe('profile');
  });
});

describe('verifyBearer with an audience and resource metadata (RFC 8707, RFC 9728 §5.1)', () => {
  const resourceMetadata = protectedResourceMetadataUrl(MCP);

  test('a token for this resource passes', async () => {
    const { p, token } = await tokenFor(MCP);
    const auth = await verifyBearer(p.server, at(token), { audience: MCP, scopes: ['profile'] });
    expect(auth.ok && auth.token).toMatchObject({ subject: 'alice', audience: [MCP] });
  });

  test('a token for another resource, or for none, is 401 invalid_token with the hints', async () => {
    for (const resource of [API, undefined]) {
      const { p, token } = await tokenFor(resource);
      const auth = await verifyBearer(p.server, at(token), {
        audience: MCP,
        scopes: ['profile'],
        resourceMetadata,
      });
      if (auth.ok) expect.fail('a token for another resource passed');
      expect(auth.response.status).toBe(401);
      expect(auth.response.headers.get('cache-control')).toBe('no-store');
      const challenge = auth.response.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="invalid_token"');
      expect(challenge).toContain('scope="profile"');
      expect(challenge).toContain(`resource_metadata="${resourceMetadata}"`);
      expect(await auth.response.json()).toMatchObject({ error: 'invalid_token' });
    }
  });

  test('no token: 401 without an error code, naming the metadata (how an MCP client discovers)', async () => {
    const { p } = await tokenFor(MCP);
    const auth = await verifyBearer(p.server, at(), { audience: MCP, resourceMetadata, scopes: ['profile'] });
    if (auth.ok) expect.fail('passed without a token');
    expect(auth.response.status).toBe(401);
    expect(auth.response.headers.get('www-authenticate')).toBe(
      `Bearer realm="${p.server.config.issuer}", scope="profile", resource_metadata="${resourceMetadata}"`,
    );
  });

  test('a verifier (JWT by signature) that resolves nothing is 401; one that fails is 503, never a pass', async () => {
    const none: AccessTokenVerifier = { issuer: 'https://id.example', verify: async () => undefined };
    const down: AccessTokenVerifier = {
      issuer: 'https://id.example',
      verify: async () => {
        throw new StorageUnavailableError('keys unreachable');
      },
    };
    const refused = await verifyBearer(none, at('a.b.c'));
    expect(!refused.ok && refused.response.status).toBe(401);
    const failed = await verifyBearer(down, at('a.b.c'));
    expect(!failed.ok && failed.response.status).toBe(503);
    const seen: unknown[] = [];
    const passes: AccessTokenVerifier = {
      issuer: 'https://id.example',
      verify: async (_token, options) => {
        seen.push(options);
        return {
          clientId: 'c',
          subject: 's',
          scopes: ['profile'],
          expiresAt: Date.now() + 60_000,
          grantId: 'g',
          audience: [MCP],
        };
      },
    };
    expect((await verifyBearer(passes, at('a.b.c'), { audience: MCP })).ok).toBe(true);
    expect(seen).toEqual([{ audience: MCP }]);
  });
});

describe('protected resource metadata (RFC 9728)', () => {
  test('§3.1: the well-known segment goes between the host and the path', () => {
    expect(protectedResourceMetadataUrl('https://mcp.example.com/mcp')).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    );
    expect(protectedResourceMetadataUrl('https://api.example.com')).toBe(
      'https://api.example.com/.well-known/oauth-protected-resource',
    );
    expect(protectedResourceMetadataUrl('http://127.0.0.1:8080/a/b')).toBe(
      'http://127.0.0.1:8080/.well-known/oauth-protected-resource/a/b',
    );
  });

  test('§2: a resource must be https without fragment or query; an issuer is required', () => {
    for (const resource of [
      'http://api.example.com',
      'https://api.example.com/#x',
      'https://a.example/?q=1',
      '/x',
    ]) {
      expect(() => protectedResourceMetadataUrl(resource)).toThrow(TypeError);
    }
    expect(() => protectedResourceMetadata({ resource: MCP, authorizationServers: [] })).toThrow(
      /at least one/,
    );
  });

  test('§3.2: the route serves the document at its path only; 405 for other methods', async () => {
    const route = protectedResourceMetadataRoute({
      resource: MCP,
      authorizationServers: ['https://id.example.com'],
      scopesSupported: ['profile'],
      resourceName: 'Example MCP',
    });
    const url = protectedResourceMetadataUrl(MCP);
    const answer = await route(new Request(url));
    expect(answer?.status).toBe(200);
    expect(answer?.headers.get('access-control-allow-origin')).toBe('*');
    expect(await answer?.json()).toEqual({
      resource: MCP,
      authorization_servers: ['https://id.example.com'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['profile'],
      resource_name: 'Example MCP',
    });
    expect((await route(new Request(url, { method: 'POST', body: 'x' })))?.status).toBe(405);
    expect(await route(new Request('https://mcp.example.com/.well-known/oauth-protected-resource'))).toBe(
      undefined,
    );
    expect(await route(new Request(MCP))).toBeUndefined();
  });
});

describe('JWT access tokens (RFC 9068) checked by signature alone', () => {
  test('the resource server needs only the JWKS; revocation counts at the server, not in the JWT', async () => {
    const signer = await createJoseSigner({ keys: { keys: [await generateSigningKey()] } });
    const p = await provider('fetch', {
      signer,
      config: { resourceServers: [{ resource: API, accessTokenFormat: 'jwt' }] },
    });
    const code = await codeFor(p, { resource: API });
    const { access_token } = (await (await exchange(p, code)).json()) as { access_token: string };
    expect(access_token.split('.')).toHaveLength(3);
    // What a resource server in another process has: the published keys.
    const jwks = (await (await p.send('/jwks')).json()) as JSONWebKeySet;
    const verifier = createJwtAccessTokenVerifier({ issuer: p.server.config.issuer, jwks });
    const request = new Request(API, { headers: { authorization: `Bearer ${access_token}` } });
    const bySignature = await verifyBearer(verifier, request, { audience: API });
    expect(bySignature.ok && bySignature.token).toMatchObject({ subject: 'alice', clientId: 'web' });
    expect((await verifyBearer(verifier, request, { audience: MCP })).ok).toBe(false);

    await p.send('/revoke', form({ token: access_token }, { authorization: basic('web', SECRET) }));
    expect(
      (await verifyBearer(p.server, request, { audience: API })).ok,
      'the server sees the revocation',
    ).toBe(false);
    expect(
      (await verifyBearer(verifier, request, { audience: API })).ok,
      'by signature alone it stays valid until it expires (keep JWT lifetimes short)',
    ).toBe(true);
  });
});

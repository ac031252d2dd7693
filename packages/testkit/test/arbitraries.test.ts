import { MemoryGrantStore } from '@kraikub/adapter-memory';
import {
  base64url,
  type ClientRecord,
  checkVerifier,
  clientRecordSchema,
  createAuthorizationServer,
  type GrantStore,
  normalizeParams,
  type OAuthErrorCode,
  parseConfig,
  parseScope,
  parseToken,
  pkcePattern,
  redirectUriSchema,
  scopeTokenPattern,
  validateAuthorizationRequest,
  webCrypto,
} from '@kraikub/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  authorizationRequestParams,
  clientRecord,
  junkParams,
  pkcePair,
  redirectUri,
  scopes,
  scopeToken,
  state,
  tokenRequestParams,
} from '../src/index.ts';

/**
 * A server config that supports every scope of `client`. The scopes are set
 * after parsing: zod's record parsing drops a scope named `__proto__`, a
 * valid scope token that scopeToken() does generate.
 */
const configFor = (client: ClientRecord) => ({
  ...parseConfig({ issuer: 'https://id.example.com', scopes: {} }),
  scopes: Object.fromEntries(client.scopes.map((scope) => [scope, `the ${scope} scope`])),
});

const canAuthorize = (client: ClientRecord) => client.grantTypes.includes('authorization_code');

/** Lone surrogates make `encodeURIComponent` throw: the test for well-formed text. */
const isWellFormed = (text: string) => {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

describe('scopeToken and scopes', () => {
  test('every token is a valid scope token (RFC 6749 section 3.3)', () => {
    fc.assert(
      fc.property(scopeToken(), (token) => {
        expect(token).toMatch(scopeTokenPattern);
      }),
    );
  });

  test('maxLength bounds every token', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 30 })
          .chain((max) => fc.tuple(fc.constant(max), scopeToken({ maxLength: max }))),
        ([max, token]) => {
          expect(token.length).toBeLessThanOrEqual(max);
        },
      ),
    );
    expect(() => scopeToken({ maxLength: 0 })).toThrow(TypeError);
  });

  test('a scope set is distinct tokens that parseScope reads back unchanged', () => {
    fc.assert(
      fc.property(scopes(), (list) => {
        expect(list.length).toBeGreaterThanOrEqual(1);
        expect(new Set(list).size).toBe(list.length);
        expect(parseScope(list.join(' '))._unsafeUnwrap()).toEqual(list);
      }),
    );
  });
});

describe('redirectUri', () => {
  test("passes core's redirectUriSchema", () => {
    fc.assert(
      fc.property(redirectUri(), (uri) => {
        expect(redirectUriSchema.safeParse(uri).success, uri).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('clientRecord', () => {
  test("passes core's clientRecordSchema unchanged (no defaults needed, nothing dropped)", () => {
    fc.assert(
      fc.property(clientRecord(), (client) => {
        const parsed = clientRecordSchema.safeParse(client);
        expect(parsed.error, JSON.stringify(client)).toBeUndefined();
        expect(parsed.data).toEqual(client);
      }),
      { numRuns: 300 },
    );
  });

  test('public clients have no secret and no client credentials grant', () => {
    fc.assert(
      fc.property(clientRecord({ kind: 'public' }), (client) => {
        expect(client.tokenEndpointAuthMethod).toBe('none');
        expect('secretHash' in client).toBe(false);
        expect(client.grantTypes).not.toContain('client_credentials');
      }),
    );
  });

  test('confidential clients have a secret hash', () => {
    fc.assert(
      fc.property(clientRecord({ kind: 'confidential' }), (client) => {
        expect(client.tokenEndpointAuthMethod).not.toBe('none');
        expect(client.secretHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      }),
    );
  });

  test('by default both kinds, every grant type and the optional fields all occur', () => {
    const sample = fc.sample(clientRecord(), 300);
    const seen = new Set(sample.flatMap((client) => [client.tokenEndpointAuthMethod, ...client.grantTypes]));
    expect([...seen].sort()).toEqual(
      [
        'authorization_code',
        'client_credentials',
        'client_secret_basic',
        'client_secret_post',
        'none',
        'refresh_token',
      ].sort(),
    );
    for (const field of ['defaultScopes', 'requirePkce', 'refreshTokenGraceSeconds'] as const) {
      expect(
        sample.some((client) => field in client),
        field,
      ).toBe(true);
      expect(
        sample.some((client) => !(field in client)),
        field,
      ).toBe(true);
    }
  });
});

describe('pkcePair', () => {
  test('the challenge is BASE64URL(SHA-256(verifier)), as Web Crypto computes it (RFC 7636 section 4.2)', async () => {
    await fc.assert(
      fc.asyncProperty(pkcePair(), async ({ verifier, challenge }) => {
        expect(verifier).toMatch(pkcePattern);
        expect(challenge).toMatch(pkcePattern);
        expect(challenge).toBe(base64url(await webCrypto.sha256(verifier)));
      }),
    );
  });

  test("core's checkVerifier accepts the pair, and refuses another pair's verifier", async () => {
    await fc.assert(
      fc.asyncProperty(pkcePair(), pkcePair(), async (pair, other) => {
        const computed = base64url(await webCrypto.sha256(pair.verifier));
        expect(checkVerifier({ codeChallenge: pair.challenge }, pair.verifier, computed).isOk()).toBe(true);
        fc.pre(other.verifier !== pair.verifier);
        const wrong = base64url(await webCrypto.sha256(other.verifier));
        expect(checkVerifier({ codeChallenge: pair.challenge }, other.verifier, wrong).isErr()).toBe(true);
      }),
    );
  });
});

describe('state', () => {
  test('is non-empty, well-formed text', () => {
    fc.assert(
      fc.property(state(), (value) => {
        expect(value.length).toBeGreaterThan(0);
        expect(isWellFormed(value)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('authorizationRequestParams', () => {
  const clientAndParams = clientRecord()
    .filter(canAuthorize)
    .chain((client) => authorizationRequestParams(client).map((params) => ({ client, params })));

  test("core's validateAuthorizationRequest accepts them, keeping state byte-exact and the PKCE challenge", () => {
    fc.assert(
      fc.property(clientAndParams, ({ client, params }) => {
        const result = validateAuthorizationRequest(normalizeParams(params), client, configFor(client));
        expect(result.isOk() ? undefined : result.error, JSON.stringify(params)).toBeUndefined();
        const request = result._unsafeUnwrap();
        expect(request.client.id).toBe(client.id);
        expect(request.state).toBe(params.state);
        expect(request.codeChallenge).toBe(params.code_challenge);
        if (params.redirect_uri !== undefined) expect(request.redirectUri).toBe(params.redirect_uri);
        if (params.scope !== undefined) expect(request.scopes.join(' ')).toBe(params.scope);
      }),
      { numRuns: 300 },
    );
  });

  test('PKCE is always sent when the client must use it', () => {
    fc.assert(
      fc.property(
        clientRecord({ kind: 'public' })
          .filter(canAuthorize)
          .chain((client) => authorizationRequestParams(client)),
        (params) => {
          expect(params.code_challenge_method).toBe('S256');
          expect(params.code_challenge).toMatch(pkcePattern);
        },
      ),
    );
  });

  test('a given pair is the one sent, so the caller knows the verifier', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(clientRecord().filter(canAuthorize), pkcePair())
          .chain(([client, pkce]) =>
            authorizationRequestParams(client, { pkce }).map((params) => ({ params, pkce })),
          ),
        ({ params, pkce }) => {
          expect(params.code_challenge).toBe(pkce.challenge);
        },
      ),
    );
  });

  test('a client that cannot make an authorization request is a TypeError', () => {
    fc.assert(
      fc.property(
        clientRecord().filter((client) => !canAuthorize(client)),
        (client) => {
          expect(() => authorizationRequestParams(client)).toThrow(TypeError);
        },
      ),
    );
  });
});

/** A GrantStore every call of which fails: any use of it shows as server_error. */
const untouchable = new Proxy({} as GrantStore, {
  get: () => () => Promise.reject(new Error('the store must not be reached')),
});

/** Knows every client id, as a public client: requests that authenticate reach the grant logic. */
const anyPublicClient = {
  findClient: async (id: string): Promise<ClientRecord> => ({
    id,
    name: 'Any',
    redirectUris: ['https://app.example.com/cb'],
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes: ['openid'],
  }),
};

const clientErrors: readonly OAuthErrorCode[] = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
];

describe('tokenRequestParams', () => {
  test('well-formed requests: one value per parameter, a supported grant, credentials of the right kind', async () => {
    await fc.assert(
      fc.asyncProperty(tokenRequestParams({ kind: 'well-formed' }), async (params) => {
        const normalized = normalizeParams(params);
        for (const [name, values] of normalized) expect(values, name).toHaveLength(1);
        const grantType = normalized.get('grant_type')?.[0];
        expect(['authorization_code', 'refresh_token', 'client_credentials']).toContain(grantType);
        if (grantType === 'authorization_code') {
          expect((await parseToken(webCrypto, normalized.get('code')?.[0]))?.kind).toBe('code');
        }
        if (grantType === 'refresh_token') {
          expect((await parseToken(webCrypto, normalized.get('refresh_token')?.[0]))?.kind).toBe(
            'refresh_token',
          );
        }
      }),
    );
  });

  test('the untouchable store is noticed: a well-formed public code request reaches it, a server_error', async () => {
    const server = createAuthorizationServer({
      config: { issuer: 'https://id.example.com', scopes: { openid: 'Sign in' } },
      clients: anyPublicClient,
      store: untouchable,
    });
    const [params] = fc.sample(
      tokenRequestParams({ kind: 'well-formed' }).filter(
        (p) =>
          p.grant_type === 'authorization_code' && typeof p.client_id === 'string' && !('client_secret' in p),
      ),
      1,
    );
    const result = await server.token({ params: params ?? {} });
    expect(result.isErr() && result.error.error).toBe('server_error');
  });

  test('junk requests: the token endpoint answers each with a client error, never touching the store', async () => {
    const server = createAuthorizationServer({
      config: { issuer: 'https://id.example.com', scopes: { openid: 'Sign in' } },
      clients: anyPublicClient,
      store: untouchable,
    });
    await fc.assert(
      fc.asyncProperty(tokenRequestParams({ kind: 'junk' }), async (params) => {
        const result = await server.token({ params });
        expect(result.isErr()).toBe(true);
        if (result.isErr()) expect(clientErrors).toContain(result.error.error);
      }),
      { numRuns: 300 },
    );
  });

  test('any: both kinds occur', () => {
    const sample = fc.sample(tokenRequestParams(), 200);
    const wellFormed = (params: (typeof sample)[number]) =>
      Object.values(params).every((value) => typeof value === 'string') &&
      ['authorization_code', 'refresh_token', 'client_credentials'].includes(String(params.grant_type));
    expect(sample.some(wellFormed)).toBe(true);
    expect(sample.some((params) => !wellFormed(params))).toBe(true);
  });
});

describe('junkParams', () => {
  test('every shape occurs: records, pairs and URLSearchParams, with repeated names', () => {
    const sample = fc.sample(junkParams(), 300);
    expect(sample.some((params) => params instanceof URLSearchParams)).toBe(true);
    expect(sample.some((params) => Array.isArray(params))).toBe(true);
    expect(sample.some((params) => !Array.isArray(params) && !(params instanceof URLSearchParams))).toBe(
      true,
    );
    expect(sample.some((params) => [...normalizeParams(params).values()].some((v) => v.length > 1))).toBe(
      true,
    );
  });

  test('the token and authorization endpoints answer junk with an error value, never an exception', async () => {
    const server = createAuthorizationServer({
      config: { issuer: 'https://id.example.com', scopes: { openid: 'Sign in' } },
      clients: anyPublicClient,
      store: new MemoryGrantStore(),
    });
    await fc.assert(
      fc.asyncProperty(junkParams(), async (params) => {
        expect((await server.token({ params })).isErr()).toBe(true);
        expect((await server.authorize(params)).isErr()).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

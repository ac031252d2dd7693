import { describe, expect, test } from 'vitest';
import { clientRecordSchema, parseConfig, redirectUriSchema, scopeTokenPattern } from './config.ts';

const minimal = { issuer: 'https://id.example.com', scopes: { openid: 'Sign you in' } };

function configError(input: unknown): string {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as TypeError).message;
  }
  throw new Error('expected parseConfig to throw');
}

describe('parseConfig: defaults (DESIGN.md §4)', () => {
  test('RFC 6749 §4.1.2: defaults are code 60 s, access token 3600 s, refresh token 30 days', () => {
    const config = parseConfig(minimal);
    expect(config.ttl).toEqual({ code: 60, accessToken: 3600, refreshToken: 30 * 24 * 3600, idToken: 3600 });
    expect(config.requirePkce).toBe(false);
    expect(config.maxStateLength).toBe(2048);
    expect(config.endpoints).toEqual({
      authorization: '/authorize',
      token: '/token',
      revocation: '/revoke',
      introspection: '/introspect',
      userinfo: '/userinfo',
      jwks: '/jwks',
      endSession: '/end-session',
      registration: '/register',
    });
    expect(config.oidc).toEqual({ offlineAccess: false });
    expect(config.issuer).toBe('https://id.example.com');
    expect(config.scopes).toEqual({ openid: 'Sign you in' });
  });

  test('RFC 6749 §4.1.2: a partial ttl keeps the other defaults', () => {
    expect(parseConfig({ ...minimal, ttl: { code: 120 } }).ttl).toEqual({
      code: 120,
      accessToken: 3600,
      refreshToken: 30 * 24 * 3600,
      idToken: 3600,
    });
  });

  test('RFC 6749 §4.1.2: a code lifetime of exactly 10 minutes is accepted', () => {
    expect(parseConfig({ ...minimal, ttl: { code: 600 } }).ttl.code).toBe(600);
  });

  test('parseConfig does not mutate its input', () => {
    const input = { ...minimal };
    parseConfig(input);
    expect(input).toEqual(minimal);
  });
});

describe('parseConfig: refused configurations', () => {
  test.each<[string, unknown, RegExp]>([
    ['a code TTL over 600 s (RFC 6749 §4.1.2)', { ...minimal, ttl: { code: 601 } }, /ttl\.code/],
    ['a zero code TTL', { ...minimal, ttl: { code: 0 } }, /ttl\.code/],
    ['a fractional code TTL', { ...minimal, ttl: { code: 1.5 } }, /ttl\.code/],
    ['a negative access token TTL', { ...minimal, ttl: { accessToken: -1 } }, /ttl\.accessToken/],
    ['a TTL given as a string', { ...minimal, ttl: { refreshToken: '3600' } }, /ttl\.refreshToken/],
    [
      'an http issuer on a public host (RFC 8414 §2)',
      { ...minimal, issuer: 'http://id.example.com' },
      /issuer/,
    ],
    ['an issuer with a query (RFC 8414 §2)', { ...minimal, issuer: 'https://id.example.com/?x=1' }, /issuer/],
    ['an issuer with an empty query', { ...minimal, issuer: 'https://id.example.com/?' }, /issuer/],
    [
      'an issuer with a fragment (RFC 8414 §2)',
      { ...minimal, issuer: 'https://id.example.com/#f' },
      /issuer/,
    ],
    ['an issuer with an empty fragment', { ...minimal, issuer: 'https://id.example.com#' }, /issuer/],
    ['a relative issuer', { ...minimal, issuer: '/issuer' }, /issuer/],
    ['a non-http issuer', { ...minimal, issuer: 'ftp://id.example.com' }, /issuer/],
    ['a missing issuer', { scopes: minimal.scopes }, /issuer/],
    ['missing scopes', { issuer: minimal.issuer }, /scopes/],
    ['a scope name with a space (RFC 6749 §3.3)', { ...minimal, scopes: { 'a b': 'x' } }, /scopes/],
    ['a scope name with a double quote', { ...minimal, scopes: { 'a"b': 'x' } }, /scopes/],
    ['an unknown key', { ...minimal, requirePKCE: true }, /requirePKCE|unrecognized/i],
    ['a maxStateLength under 16', { ...minimal, maxStateLength: 15 }, /maxStateLength/],
    ['an endpoint not starting with /', { ...minimal, endpoints: { token: 'token' } }, /endpoints\.token/],
    ['an endpoint with a space', { ...minimal, endpoints: { token: '/to ken' } }, /endpoints\.token/],
  ])('%s is refused, naming the field', (_case, input, field) => {
    expect(configError(input)).toMatch(field);
  });

  test.each([null, undefined, 42, 'https://id.example.com', []])(
    'a non-object config (%j) throws a TypeError',
    (input) => {
      expect(() => parseConfig(input)).toThrow(TypeError);
    },
  );

  test('every bad field is named in one message', () => {
    const message = configError({ issuer: 'http://id.example.com?x', scopes: {}, ttl: { code: 601 } });
    expect(message).toMatch(/issuer/);
    expect(message).toMatch(/ttl\.code/);
  });

  test.each(['http://localhost', 'http://localhost:8080/auth', 'http://127.0.0.1:3000', 'http://[::1]:3000'])(
    'RFC 8252 §8.3: an http issuer on loopback (%s) is accepted for development',
    (issuer) => {
      expect(parseConfig({ ...minimal, issuer }).issuer).toBe(issuer);
    },
  );

  test.each(['http://localhost.example.com', 'http://127.0.0.1.nip.io', 'http://localhost@evil.example'])(
    'RFC 8414 §2: http on a host that only looks local (%s) is refused',
    (issuer) => {
      expect(configError({ ...minimal, issuer })).toMatch(/issuer/);
    },
  );

  test('RFC 8414 §2: an https issuer with a path is accepted', () => {
    expect(parseConfig({ ...minimal, issuer: 'https://example.com/tenant/a' }).issuer).toBe(
      'https://example.com/tenant/a',
    );
  });
});

describe('scopeTokenPattern (RFC 6749 §3.3)', () => {
  test('RFC 6749 §3.3: accepts exactly %x21 / %x23-5B / %x5D-7E', () => {
    for (let code = 0; code < 0x100; code++) {
      const allowed = code === 0x21 || (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e);
      expect(scopeTokenPattern.test(String.fromCharCode(code)), `char ${code}`).toBe(allowed);
    }
    expect(scopeTokenPattern.test('')).toBe(false);
  });
});

describe('redirectUriSchema (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.6)', () => {
  test.each([
    'https://app.example.com/cb',
    'https://app.example.com/cb?tenant=a',
    'http://127.0.0.1/cb',
    'http://127.0.0.1:8080/cb',
    'http://[::1]:8080/cb',
    'http://localhost:8080/cb',
    'com.example.app:/oauth2redirect',
  ])('RFC 8252 §7: %s may be registered', (uri) => {
    expect(redirectUriSchema.safeParse(uri).success).toBe(true);
  });

  test.each([
    ['http on a public host', 'http://app.example.com/cb'],
    ['http on a host that only looks local', 'http://localhost.evil.example/cb'],
    ['http on 127.0.0.2 is still not one of ours', 'http://127.0.0.2/cb'],
    ['javascript:', 'javascript:alert(1)'],
    ['JavaScript: in mixed case', 'JavaScript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['file:', 'file:///etc/passwd'],
    ['blob:', 'blob:https://app.example.com/uuid'],
    ['a fragment', 'https://app.example.com/cb#frag'],
    ['an empty fragment', 'https://app.example.com/cb#'],
    ['a relative URI', '/cb'],
    ['a scheme-relative URI', '//app.example.com/cb'],
    ['an empty string', ''],
  ])('RFC 6749 §3.1.2, RFC 9700 §2.6: %s is refused', (_case, uri) => {
    expect(redirectUriSchema.safeParse(uri).success).toBe(false);
  });
});

describe('clientRecordSchema', () => {
  const secretHash = 'A'.repeat(43);
  const confidential = {
    id: 'client-1',
    name: 'Client',
    redirectUris: ['https://app.example.com/cb'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    secretHash,
    scopes: ['openid'],
  };
  const publicClient = {
    id: 'spa',
    name: 'SPA',
    redirectUris: ['https://app.example.com/cb'],
    tokenEndpointAuthMethod: 'none',
    scopes: ['openid'],
  };

  test('RFC 6749 §2: a confidential client is accepted with default grant types', () => {
    const parsed = clientRecordSchema.parse(confidential);
    expect(parsed.grantTypes).toEqual(['authorization_code', 'refresh_token']);
    expect(parsed.secretHash).toBe(secretHash);
  });

  test('RFC 6749 §2.1: a public client without secret is accepted', () => {
    expect(clientRecordSchema.safeParse(publicClient).success).toBe(true);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a public client with a secret (RFC 6749 §2.1)', { ...publicClient, secretHash }, 'secretHash'],
    ['a confidential client without a secret', { ...confidential, secretHash: undefined }, 'secretHash'],
    ['a secret hash that is not a SHA-256 digest', { ...confidential, secretHash: 'short' }, 'secretHash'],
    [
      'a raw secret in place of its hash',
      { ...confidential, secretHash: `kbs_${'a'.repeat(43)}` },
      'secretHash',
    ],
    [
      'an http redirect URI on a non-loopback host (RFC 9700 §2.6)',
      { ...confidential, redirectUris: ['http://app.example.com/cb'] },
      'redirectUris',
    ],
    [
      'a javascript: redirect URI',
      { ...confidential, redirectUris: ['javascript:alert(1)'] },
      'redirectUris',
    ],
    [
      'a redirect URI with a fragment (RFC 6749 §3.1.2)',
      { ...confidential, redirectUris: ['https://app.example.com/cb#x'] },
      'redirectUris',
    ],
    [
      'a public client with client_credentials (RFC 6749 §4.4)',
      { ...publicClient, grantTypes: ['client_credentials'] },
      'grantTypes',
    ],
    ['authorization_code without a redirect URI', { ...confidential, redirectUris: [] }, 'redirectUris'],
    [
      'a default scope the client may not use',
      { ...confidential, defaultScopes: ['admin'] },
      'defaultScopes',
    ],
    ['an unknown grant type (no implicit)', { ...confidential, grantTypes: ['implicit'] }, 'grantTypes'],
    ['the password grant', { ...confidential, grantTypes: ['password'] }, 'grantTypes'],
    ['no grant types', { ...confidential, grantTypes: [] }, 'grantTypes'],
    ['an id with a control character (RFC 6749 A.1)', { ...confidential, id: 'client\u0001' }, 'id'],
    ['an id with DEL (RFC 6749 A.1)', { ...confidential, id: 'client\u007f' }, 'id'],
    ['an empty id', { ...confidential, id: '' }, 'id'],
    ['a non-ASCII id', { ...confidential, id: 'clïent' }, 'id'],
    ['an invalid scope token', { ...confidential, scopes: ['a"b'] }, 'scopes'],
    [
      'an unknown auth method',
      { ...confidential, tokenEndpointAuthMethod: 'private_key_jwt' },
      'tokenEndpointAuthMethod',
    ],
    [
      'a grace window over 300 s',
      { ...confidential, refreshTokenGraceSeconds: 301 },
      'refreshTokenGraceSeconds',
    ],
    ['an unknown key', { ...confidential, secret: 'plain' }, ''],
  ])('%s is refused', (_case, input, path) => {
    const result = clientRecordSchema.safeParse(input);
    expect(result.success).toBe(false);
    if (path !== '') {
      expect(result.error?.issues.some((issue) => issue.path[0] === path)).toBe(true);
    }
  });

  test('RFC 6749 Appendix A.1: a client_id is *VSCHAR, so a space is allowed', () => {
    expect(clientRecordSchema.safeParse({ ...confidential, id: 'client 1' }).success).toBe(true);
  });

  test('RFC 6749 §4.4: a client_credentials-only confidential client needs no redirect URI', () => {
    expect(
      clientRecordSchema.safeParse({ ...confidential, redirectUris: [], grantTypes: ['client_credentials'] })
        .success,
    ).toBe(true);
  });
});

describe('parseConfig: scope names that JavaScript objects cannot hold', () => {
  test('RFC 6749 §3.3: a __proto__ scope is refused loudly, not dropped silently', () => {
    const scopes = JSON.parse('{"profile": "Your profile", "__proto__": "sneaky"}') as Record<string, string>;
    expect(() => parseConfig({ issuer: 'https://id.example.com', scopes })).toThrow(/__proto__/);
  });
});

import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../../test/result.ts';
import { parseConfig } from '../config.ts';
import type { OAuthError } from '../errors.ts';
import { normalizeParams } from '../params.ts';
import type { ClientRecord } from '../ports.ts';
import { validateAuthorizationRequest } from './authorization-request.ts';

const issuer = 'https://id.example.com';
const config = parseConfig({
  issuer,
  scopes: { openid: 'Sign you in', profile: 'Your profile', email: 'Your email', admin: 'Everything' },
});
const redirectUri = 'https://app.example.com/cb';
// RFC 7636 Appendix B.
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
// A state that survives only if echoed byte-exact.
const trickyState = 'a&b=c+d %20e/é☃😀?#';

const confidential: ClientRecord = {
  id: 'web-app',
  name: 'Web App',
  redirectUris: [redirectUri],
  tokenEndpointAuthMethod: 'client_secret_basic',
  secretHash: 'x'.repeat(43),
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'profile', 'email', 'legacy'],
};
const publicClient: ClientRecord = {
  id: 'spa',
  name: 'SPA',
  redirectUris: [redirectUri],
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile'],
};

type Pairs = [string, string][];

function request(overrides: Record<string, string | undefined> = {}, extra: Pairs = []): Pairs {
  const base: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'web-app',
    redirect_uri: redirectUri,
    scope: 'openid profile',
    state: trickyState,
    ...overrides,
  };
  const pairs: Pairs = [];
  for (const [name, value] of Object.entries(base)) if (value !== undefined) pairs.push([name, value]);
  return [...pairs, ...extra];
}

function validate(pairs: Pairs, client: ClientRecord = confidential, cfg = config) {
  return validateAuthorizationRequest(normalizeParams(pairs), client, cfg);
}

/** Asserts the error goes back to the client, with `state` (default: the one sent) and `iss`. */
function expectRedirected(error: OAuthError, ...state: [] | [string | undefined]): void {
  const expected = state.length === 0 ? trickyState : state[0];
  expect(error.redirect).toStrictEqual({ redirectUri, state: expected, iss: issuer });
}

describe('validateAuthorizationRequest: a valid request', () => {
  test('RFC 6749 §4.1.1: a complete code request is accepted as sent', () => {
    expect(okValue(validate(request()))).toEqual({
      responseType: 'code',
      client: { id: 'web-app', name: 'Web App', confidential: true },
      redirectUri,
      redirectUriProvided: true,
      scopes: ['openid', 'profile'],
      state: trickyState,
      codeChallenge: undefined,
      codeChallengeMethod: undefined,
    });
  });

  test('RFC 7636 §4.3: a public client with an S256 challenge is accepted', () => {
    const value = okValue(
      validate(
        request({ client_id: 'spa', code_challenge: challenge, code_challenge_method: 'S256' }),
        publicClient,
      ),
    );
    expect(value.client).toEqual({ id: 'spa', name: 'SPA', confidential: false });
    expect(value.codeChallenge).toBe(challenge);
    expect(value.codeChallengeMethod).toBe('S256');
  });

  test('RFC 6749 §3.1.2.3: redirect_uri omitted with one registered resolves to it, not provided', () => {
    const value = okValue(validate(request({ redirect_uri: undefined })));
    expect(value.redirectUri).toBe(redirectUri);
    expect(value.redirectUriProvided).toBe(false);
  });

  test('RFC 6749 §3.1: an empty redirect_uri is treated as omitted', () => {
    const value = okValue(validate(request({ redirect_uri: '' })));
    expect(value.redirectUriProvided).toBe(false);
  });

  test('RFC 6749 §4.1.1: state is optional and an empty state counts as none', () => {
    expect(okValue(validate(request({ state: undefined }))).state).toBeUndefined();
    expect(okValue(validate(request({ state: '' }))).state).toBeUndefined();
  });

  test('RFC 6749 §4.1.2: state is kept byte-exact', () => {
    expect(okValue(validate(request())).state).toBe(trickyState);
  });

  test('RFC 6749 §3.1: unknown parameters are ignored, even when repeated', () => {
    const value = okValue(
      validate(
        request({}, [
          ['foo', 'bar'],
          ['foo', 'baz'],
          ['nonce', 'n'],
          ['prompt', 'login'],
          ['response_mode', 'fragment'],
        ]),
      ),
    );
    expect(value.scopes).toEqual(['openid', 'profile']);
  });

  test('RFC 6749 §3.3: duplicate scope tokens are dropped and order kept', () => {
    expect(okValue(validate(request({ scope: 'profile openid profile' }))).scopes).toEqual([
      'profile',
      'openid',
    ]);
  });

  test('RFC 6749 §3.3: without scope, the client defaults are used', () => {
    const client = { ...confidential, defaultScopes: ['openid'] };
    expect(okValue(validate(request({ scope: undefined }), client)).scopes).toEqual(['openid']);
    expect(okValue(validate(request({ scope: '' }), client)).scopes).toEqual(['openid']);
  });

  test('RFC 6749 §4.1.1: the maximum state length is accepted and echoed', () => {
    const state = 's'.repeat(config.maxStateLength);
    expect(okValue(validate(request({ state }))).state).toBe(state);
  });
});

describe('validateAuthorizationRequest: errors before the redirect URI is known are not redirected', () => {
  test.each<[string, Pairs, ClientRecord]>([
    ['an unregistered redirect_uri', request({ redirect_uri: 'https://evil.example/cb' }), confidential],
    ['a repeated redirect_uri', request({}, [['redirect_uri', redirectUri]]), confidential],
    [
      'a repeated differing redirect_uri',
      request({}, [['redirect_uri', 'https://evil.example/cb']]),
      confidential,
    ],
    [
      'a missing redirect_uri with two registered',
      request({ redirect_uri: undefined }),
      { ...confidential, redirectUris: [redirectUri, 'https://app.example.com/other'] },
    ],
    [
      'a bad redirect_uri and a bad response_type',
      request({ redirect_uri: 'https://evil.example/cb', response_type: 'token' }),
      confidential,
    ],
  ])('RFC 6749 §4.1.2.1: %s is invalid_request without redirect', (_case, pairs, client) => {
    const error = errValue(validate(pairs, client));
    expect(error.error).toBe('invalid_request');
    expect(error.redirect).toBeUndefined();
  });
});

describe('validateAuthorizationRequest: errors after the redirect URI check are redirected', () => {
  test.each<[string, Pairs, ClientRecord, OAuthError['error']]>([
    ['a missing response_type', request({ response_type: undefined }), confidential, 'invalid_request'],
    ['an empty response_type', request({ response_type: '' }), confidential, 'invalid_request'],
    ['response_type token', request({ response_type: 'token' }), confidential, 'unsupported_response_type'],
    [
      'response_type code id_token',
      request({ response_type: 'code id_token' }),
      confidential,
      'unsupported_response_type',
    ],
    ['response_type CODE', request({ response_type: 'CODE' }), confidential, 'unsupported_response_type'],
    [
      'response_type password',
      request({ response_type: 'password' }),
      confidential,
      'unsupported_response_type',
    ],
    ['an unknown scope', request({ scope: 'openid unknown' }), confidential, 'invalid_scope'],
    ['a scope not allowed for the client', request({ scope: 'openid admin' }), confidential, 'invalid_scope'],
    ['a client scope the server does not know', request({ scope: 'legacy' }), confidential, 'invalid_scope'],
    ['scope __proto__', request({ scope: '__proto__' }), confidential, 'invalid_scope'],
    ['scope constructor', request({ scope: 'constructor' }), confidential, 'invalid_scope'],
    ['a malformed scope', request({ scope: 'open"id' }), confidential, 'invalid_scope'],
    ['a scope of only spaces', request({ scope: '   ' }), confidential, 'invalid_scope'],
    ['a missing scope without defaults', request({ scope: undefined }), confidential, 'invalid_scope'],
    [
      'a client without the authorization_code grant',
      request(),
      { ...confidential, grantTypes: ['client_credentials'] },
      'unauthorized_client',
    ],
  ])('RFC 6749 §4.1.2.1, RFC 9207 §2: %s', (_case, pairs, client, code) => {
    const error = errValue(validate(pairs, client));
    expect(error.error).toBe(code);
    expectRedirected(error);
  });

  test('RFC 6749 §4.1.2.1: the redirect goes to the resolved URI when redirect_uri was omitted', () => {
    const error = errValue(validate(request({ redirect_uri: undefined, response_type: 'token' })));
    expectRedirected(error);
  });

  test('RFC 6749 §4.1.2.1: without state, the redirect has no state', () => {
    const error = errValue(validate(request({ state: undefined, response_type: 'token' })));
    expectRedirected(error, undefined);
  });

  test('RFC 6749 §5.2: error descriptions never echo the state or the scope', () => {
    const error = errValue(validate(request({ scope: 'openid unknown_scope_xyz' })));
    expect(error.description).not.toContain('unknown_scope_xyz');
    expect(error.description).not.toContain(trickyState);
  });
});

describe('validateAuthorizationRequest: repeated parameters (RFC 6749 §3.1)', () => {
  test.each([
    ['response_type', 'code'],
    ['client_id', 'web-app'],
    ['scope', 'openid'],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
  ])('RFC 6749 §3.1: a repeated %s is invalid_request, redirected with state', (name, value) => {
    const error = errValue(validate(request({}, [[name, value]])));
    expect(error.error).toBe('invalid_request');
    expectRedirected(error);
  });

  test('RFC 6749 §3.1: a repeated parameter is refused even when the copy is empty', () => {
    const error = errValue(validate(request({}, [['scope', '']])));
    expect(error.error).toBe('invalid_request');
  });

  test('RFC 6749 §3.1: a repeated state is invalid_request and neither value is echoed', () => {
    const error = errValue(validate(request({}, [['state', 'second']])));
    expect(error.error).toBe('invalid_request');
    expectRedirected(error, undefined);
  });

  test('RFC 6749 §3.1: a repeated identical state is refused too', () => {
    const error = errValue(validate(request({}, [['state', trickyState]])));
    expect(error.error).toBe('invalid_request');
    expect(error.redirect?.state).toBeUndefined();
  });
});

describe('validateAuthorizationRequest: unusable state', () => {
  test('RFC 6749 §4.1.1: a state over maxStateLength is invalid_request and not echoed', () => {
    const error = errValue(validate(request({ state: 's'.repeat(config.maxStateLength + 1) })));
    expect(error.error).toBe('invalid_request');
    expect(error.redirect).toEqual({ redirectUri, state: undefined, iss: issuer });
  });

  test('RFC 6749 §4.1.1: maxStateLength from config is honoured', () => {
    const small = parseConfig({ issuer, scopes: { openid: 'x' }, maxStateLength: 16 });
    expect(validate(request({ scope: 'openid', state: 's'.repeat(16) }), confidential, small).isOk()).toBe(
      true,
    );
    const error = errValue(
      validate(request({ scope: 'openid', state: 's'.repeat(17) }), confidential, small),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.redirect?.state).toBeUndefined();
  });

  test.each([
    ['a lone high surrogate', 'abc\uD800'],
    ['a lone low surrogate', '\uDC00abc'],
    ['a reversed pair', '\uDE00\uD83D'],
  ])('RFC 3629 §3, RFC 6749 §4.1.2: a state with %s is invalid_request and not echoed', (_case, state) => {
    const error = errValue(validate(request({ state })));
    expect(error.error).toBe('invalid_request');
    expect(error.redirect).toEqual({ redirectUri, state: undefined, iss: issuer });
  });

  test('RFC 6749 §4.1.2: an unusable state is reported before other errors', () => {
    const error = errValue(validate(request({ state: '\uD800', response_type: 'token' })));
    expect(error.error).toBe('invalid_request');
    expect(error.redirect?.state).toBeUndefined();
  });
});

describe('validateAuthorizationRequest: PKCE (RFC 7636, RFC 9700 §2.1.1)', () => {
  const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };

  test('RFC 9700 §2.1.1: a public client without code_challenge is refused', () => {
    const error = errValue(validate(request({ client_id: 'spa' }), publicClient));
    expect(error.error).toBe('invalid_request');
    expectRedirected(error);
  });

  test('RFC 9700 §2.1.1: a confidential client with requirePkce is refused without code_challenge', () => {
    const error = errValue(validate(request(), { ...confidential, requirePkce: true }));
    expect(error.error).toBe('invalid_request');
    expectRedirected(error);
  });

  test('RFC 9700 §2.1.1: config requirePkce applies to every client, even requirePkce false', () => {
    const strict = parseConfig({ ...config, requirePkce: true });
    for (const client of [confidential, { ...confidential, requirePkce: false }]) {
      const error = errValue(validate(request(), client, strict));
      expect(error.error).toBe('invalid_request');
      expectRedirected(error);
    }
    expect(validate(request(pkce), confidential, strict).isOk()).toBe(true);
  });

  test('RFC 7636 §4.4.1: a confidential client without requirePkce may omit PKCE', () => {
    expect(okValue(validate(request())).codeChallenge).toBeUndefined();
  });

  test('RFC 7636 §4.3: a confidential client may still send PKCE, and it is kept', () => {
    expect(okValue(validate(request(pkce))).codeChallenge).toBe(challenge);
  });

  test.each<[string, Record<string, string | undefined>]>([
    ['a challenge without method (means plain)', { code_challenge: challenge }],
    ['method plain', { code_challenge: challenge, code_challenge_method: 'plain' }],
    ['method s256 in lower case', { code_challenge: challenge, code_challenge_method: 's256' }],
    ['an unknown method', { code_challenge: challenge, code_challenge_method: 'S512' }],
    ['a 42-character challenge', { ...pkce, code_challenge: 'a'.repeat(42) }],
    ['a 129-character challenge', { ...pkce, code_challenge: 'a'.repeat(129) }],
    ['a challenge with +', { ...pkce, code_challenge: `${'a'.repeat(42)}+` }],
    ['a challenge with /', { ...pkce, code_challenge: `${'a'.repeat(42)}/` }],
    ['a challenge with = padding', { ...pkce, code_challenge: `${challenge}=` }],
    ['a challenge with a space', { ...pkce, code_challenge: `${'a'.repeat(21)} ${'a'.repeat(21)}` }],
    ['a challenge with non-ASCII', { ...pkce, code_challenge: `${'a'.repeat(42)}é` }],
    ['a challenge with a newline', { ...pkce, code_challenge: `${'a'.repeat(43)}\n` }],
    ['a method without challenge', { code_challenge_method: 'S256' }],
  ])('RFC 7636 §4.2, §4.3, §4.4.1: %s is invalid_request', (_case, overrides) => {
    for (const client of [confidential, publicClient]) {
      const error = errValue(validate(request({ client_id: client.id, ...overrides }), client));
      expect(error.error).toBe('invalid_request');
      expectRedirected(error);
    }
  });

  test.each([43, 128])('RFC 7636 §4.2: a %i-character challenge is accepted', (length) => {
    const code_challenge = 'aZ09-._~'.repeat(17).slice(0, length);
    expect(okValue(validate(request({ ...pkce, code_challenge }))).codeChallenge).toBe(code_challenge);
  });
});

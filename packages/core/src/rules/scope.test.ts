import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../../test/result.ts';
import type { ClientRecord } from '../ports.ts';
import { isSubset, narrowScopes, parseScope, requestedScopes } from './scope.ts';

const supported = { openid: 'a', profile: 'b', email: 'c', 'read:all': 'd', admin: 'e' };
const client: ClientRecord = {
  id: 'client-1',
  name: 'Client',
  redirectUris: ['https://app.example.com/cb'],
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'profile', 'email', 'read:all', 'legacy'],
};

describe('parseScope (RFC 6749 §3.3)', () => {
  test.each([
    ['one token', 'openid', ['openid']],
    ['space-delimited tokens', 'openid profile email', ['openid', 'profile', 'email']],
    [
      'duplicates dropped, first position kept',
      'email openid email profile openid',
      ['email', 'openid', 'profile'],
    ],
    ['order kept as sent', 'profile openid', ['profile', 'openid']],
    ['extra spaces ignored', '  openid   profile ', ['openid', 'profile']],
    ['case-sensitive tokens kept apart', 'OpenID openid', ['OpenID', 'openid']],
    ['every allowed punctuation', "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", ["!#$%&'()*+,-./:;<=>?@[]^_`{|}~"]],
    ['URI-like tokens', 'https://api.example.com/read urn:x:y', ['https://api.example.com/read', 'urn:x:y']],
  ])('RFC 6749 §3.3: %s', (_case, value, expected) => {
    expect(okValue(parseScope(value))).toEqual(expected);
  });

  test.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['a double quote', 'open"id'],
    ['a backslash', 'open\\id'],
    ['a tab separator', 'openid\tprofile'],
    ['a newline separator', 'openid\nprofile'],
    ['a non-breaking space', 'openid\u00a0profile'],
    ['non-ASCII', 'prófile'],
    ['a control character', 'open\u0000id'],
    ['DEL', 'open\u007fid'],
    ['one bad token among good ones', 'openid pro"file email'],
  ])('RFC 6749 §3.3: a scope with %s is invalid_scope', (_case, value) => {
    expect(errValue(parseScope(value)).error).toBe('invalid_scope');
  });

  test('RFC 6749 §5.2: the invalid_scope description does not echo the scope', () => {
    expect(errValue(parseScope('evil"<script>')).description).not.toContain('script');
  });
});

describe('requestedScopes (RFC 6749 §3.3)', () => {
  test('RFC 6749 §3.3: known scopes allowed for the client are granted, deduplicated, in order', () => {
    expect(okValue(requestedScopes('profile openid profile', client, supported))).toEqual([
      'profile',
      'openid',
    ]);
  });

  test.each([
    ['unknown to the server', 'openid unknown'],
    ['known but not allowed for the client', 'openid admin'],
    ['allowed for the client but unknown to the server', 'legacy'],
    ['an Object.prototype name', 'constructor'],
    ['__proto__', '__proto__'],
    ['toString', 'toString'],
    ['hasOwnProperty', 'hasOwnProperty'],
    ['a case variant of a known scope', 'OpenID'],
    ['malformed', 'open"id'],
    ['only spaces', ' '],
  ])('RFC 6749 §3.3, §4.1.2.1: a scope %s is invalid_scope', (_case, value) => {
    expect(errValue(requestedScopes(value, client, supported)).error).toBe('invalid_scope');
  });

  test('RFC 6749 §3.3: a client allowed a scope named like an Object.prototype member still needs the server to define it', () => {
    const odd = { ...client, scopes: ['constructor', 'toString', 'hasOwnProperty', '__proto__'] };
    for (const scope of odd.scopes) {
      expect(errValue(requestedScopes(scope, odd, supported)).error, scope).toBe('invalid_scope');
    }
    expect(okValue(requestedScopes('constructor', odd, { constructor: 'x' }))).toEqual(['constructor']);
  });

  test('RFC 6749 §3.3: without scope, the client defaults are used (a copy)', () => {
    const defaults = ['openid', 'profile'];
    const scopes = okValue(requestedScopes(undefined, { ...client, defaultScopes: defaults }, supported));
    expect(scopes).toEqual(defaults);
    expect(scopes).not.toBe(defaults);
  });

  test.each([
    ['no defaults', undefined],
    ['empty defaults', []],
  ])('RFC 6749 §3.3: without scope and with %s, the request fails invalid_scope', (_case, defaultScopes) => {
    const error = errValue(
      requestedScopes(
        undefined,
        defaultScopes === undefined ? client : { ...client, defaultScopes },
        supported,
      ),
    );
    expect(error.error).toBe('invalid_scope');
  });
});

describe('narrowScopes (RFC 6749 §6)', () => {
  const granted = ['openid', 'profile', 'email'];

  test('RFC 6749 §6: without scope, the originally granted scope is kept (a copy)', () => {
    const scopes = okValue(narrowScopes(undefined, granted));
    expect(scopes).toEqual(granted);
    expect(scopes).not.toBe(granted);
  });

  test.each([
    ['one granted scope', 'email', ['email']],
    ['all granted scopes in another order', 'email openid profile', ['email', 'openid', 'profile']],
    ['a duplicated granted scope', 'email email', ['email']],
  ])('RFC 6749 §6: a narrower request (%s) is accepted', (_case, value, expected) => {
    expect(okValue(narrowScopes(value, granted))).toEqual(expected);
  });

  test.each([
    ['a scope not granted', 'admin'],
    ['granted scopes plus one more', 'openid profile email admin'],
    ['a case variant of a granted scope', 'Email'],
    ['an Object.prototype name', 'constructor'],
    ['an empty scope', ''],
    ['a malformed scope', 'email"'],
  ])('RFC 6749 §6: a broader or bad request (%s) is invalid_scope', (_case, value) => {
    expect(errValue(narrowScopes(value, granted)).error).toBe('invalid_scope');
  });
});

describe('isSubset', () => {
  test.each<[string[], string[], boolean]>([
    [[], [], true],
    [[], ['a'], true],
    [['a'], ['a', 'b'], true],
    [['b', 'a'], ['a', 'b'], true],
    [['a', 'c'], ['a', 'b'], false],
    [['a'], [], false],
    [['A'], ['a'], false],
  ])('RFC 6749 §6: %j within %j is %s', (subset, of, expected) => {
    expect(isSubset(subset, of)).toBe(expected);
  });
});

describe('requestedScopes: default scopes are checked too (RFC 6749 §3.3)', () => {
  test('RFC 6749 §3.3: a default scope the server does not support is invalid_scope', () => {
    const withDefaults: ClientRecord = {
      ...client,
      scopes: ['profile', 'legacy'],
      defaultScopes: ['legacy'],
    };
    expect(errValue(requestedScopes(undefined, withDefaults, supported)).error).toBe('invalid_scope');
    expect(
      okValue(requestedScopes(undefined, { ...withDefaults, defaultScopes: ['profile'] }, supported)),
    ).toEqual(['profile']);
  });
});

describe('requestedScopes: server-wide default scopes (RFC 6749 §3.3)', () => {
  test('a request without scope gets the server defaults the client may use', () => {
    expect(okValue(requestedScopes(undefined, client, supported, ['profile', 'admin', 'email']))).toEqual([
      'profile',
      'email',
    ]);
  });

  test("the client's own defaults come first", () => {
    const own = { ...client, defaultScopes: ['openid'] };
    expect(okValue(requestedScopes(undefined, own, supported, ['profile']))).toEqual(['openid']);
  });

  test('none the client may use: invalid_scope, as without defaults', () => {
    expect(errValue(requestedScopes(undefined, client, supported, ['admin'])).error).toBe('invalid_scope');
    expect(errValue(requestedScopes(undefined, client, supported)).error).toBe('invalid_scope');
  });

  test('a request that names scopes ignores every default', () => {
    expect(okValue(requestedScopes('email', client, supported, ['profile']))).toEqual(['email']);
  });
});

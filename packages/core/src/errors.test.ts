import { describe, expect, test } from 'vitest';
import {
  type ErrorRedirect,
  invalidClient,
  isOAuthError,
  type OAuthErrorCode,
  oauthError,
  StorageUnavailableError,
  withRedirect,
} from './errors.ts';

/** RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ). */
const descriptionChars = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const hostile = [
  'Café — naïve',
  'emoji 😀 and ☃',
  'a lone surrogate \uD800',
  'line\nbreak\r\tand\u0000NUL\u007fDEL',
  'quote " and backslash \\',
  'bidi \u202Eevil\u202C',
  'zero\u200Bwidth',
];

describe('oauthError and invalidClient descriptions (RFC 6749 §5.2, §4.1.2.1)', () => {
  test.each(hostile)('RFC 6749 §5.2: oauthError(%j) has a description of allowed characters only', (text) => {
    const error = oauthError('invalid_request', text);
    expect(error.description).toMatch(descriptionChars);
  });

  test.each(hostile)(
    'RFC 6749 §5.2: invalidClient(%j) has a description of allowed characters only',
    (text) => {
      const error = invalidClient(text, { basicAuth: false });
      expect(error.description).toMatch(descriptionChars);
    },
  );

  test('RFC 6749 §5.2: an ASCII description is kept as written', () => {
    const text = 'The code_verifier is missing (see RFC 7636: section 4.5)!';
    expect(oauthError('invalid_grant', text).description).toBe(text);
  });

  test('RFC 6749 §5.2: each replaced character keeps the description readable and of similar length', () => {
    const error = oauthError('invalid_request', 'Café "x"');
    expect(error.description).toMatch(/^Caf. .x.$/);
  });

  test('the detail is kept for developers, and absent when not given', () => {
    expect(oauthError('server_error', 'x', { detail: 'raw é "detail"' }).detail).toBe('raw é "detail"');
    expect('detail' in oauthError('server_error', 'x')).toBe(false);
    expect('redirect' in oauthError('server_error', 'x')).toBe(false);
  });

  test.each<Exclude<OAuthErrorCode, 'invalid_client'>>([
    'invalid_request',
    'invalid_grant',
    'unauthorized_client',
    'unsupported_grant_type',
    'unsupported_response_type',
    'invalid_scope',
    'access_denied',
    'server_error',
    'temporarily_unavailable',
  ])('RFC 6749 §4.1.2.1, §5.2: oauthError builds %s', (code) => {
    expect(oauthError(code, 'x')).toEqual({ error: code, description: 'x' });
  });

  test('RFC 6749 §5.2: invalidClient carries basicAuth and an optional detail', () => {
    expect(invalidClient('x', { basicAuth: true })).toEqual({
      error: 'invalid_client',
      description: 'x',
      basicAuth: true,
    });
    expect(invalidClient('x', { basicAuth: false, detail: 'd' })).toEqual({
      error: 'invalid_client',
      description: 'x',
      basicAuth: false,
      detail: 'd',
    });
  });
});

describe('withRedirect (RFC 6749 §4.1.2.1, RFC 9207 §2)', () => {
  const redirect: ErrorRedirect = {
    redirectUri: 'https://app.example.com/cb',
    state: 's',
    iss: 'https://id',
  };

  test('RFC 6749 §4.1.2.1: returns a copy with the redirect and leaves the original untouched', () => {
    const original = oauthError('invalid_scope', 'Bad scope.', { detail: 'd' });
    const snapshot = structuredClone(original);
    const redirected = withRedirect(original, redirect);
    expect(redirected).not.toBe(original);
    expect(redirected).toEqual({ ...snapshot, redirect });
    expect(original).toEqual(snapshot);
    expect('redirect' in original).toBe(false);
  });

  test('RFC 6749 §4.1.2.1: works on a frozen error', () => {
    const original = Object.freeze(oauthError('access_denied', 'No.'));
    expect(withRedirect(original, redirect).redirect).toBe(redirect);
  });

  test('RFC 6749 §4.1.2.1: replaces an existing redirect without touching the original', () => {
    const first = withRedirect(oauthError('invalid_request', 'x'), redirect);
    const other = { ...redirect, state: undefined };
    const second = withRedirect(first, other);
    expect(second.redirect).toBe(other);
    expect(first.redirect).toBe(redirect);
  });

  test('RFC 6749 §5.2: keeps invalid_client fields', () => {
    expect(withRedirect(invalidClient('x', { basicAuth: true }), redirect)).toMatchObject({
      error: 'invalid_client',
      basicAuth: true,
      redirect,
    });
  });
});

describe('isOAuthError and StorageUnavailableError', () => {
  test.each<[unknown, boolean]>([
    [oauthError('invalid_request', 'x'), true],
    [invalidClient('x', { basicAuth: false }), true],
    [{ error: 'anything', description: '' }, true],
    [{ error: 'invalid_request' }, false],
    [{ description: 'x' }, false],
    [{ error: 1, description: 'x' }, false],
    [null, false],
    [undefined, false],
    ['invalid_request', false],
    [new Error('x'), false],
  ])('isOAuthError(%j) is %s', (value, expected) => {
    expect(isOAuthError(value)).toBe(expected);
  });

  test('RFC 6749 §4.1.2.1: StorageUnavailableError is a transient Error', () => {
    const error = new StorageUnavailableError('redis: timeout');
    expect(error).toBeInstanceOf(Error);
    expect(error.transient).toBe(true);
    expect(error.name).toBe('StorageUnavailableError');
    expect(error.message).toBe('redis: timeout');
  });
});

import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../../test/result.ts';
import { sha256Base64url, webCrypto } from '../crypto.ts';
import { checkChallenge, checkVerifier, pkcePattern } from './pkce.ts';

// RFC 7636 Appendix B.
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('pkcePattern (RFC 7636 §4.1)', () => {
  test.each([
    ['43 characters', 'a'.repeat(43)],
    ['128 characters', 'a'.repeat(128)],
    ['every unreserved character', `ABCXYZabcxyz0189-._~${'a'.repeat(23)}`],
  ])('RFC 7636 §4.1: %s are accepted', (_case, value) => {
    expect(pkcePattern.test(value)).toBe(true);
  });

  test.each([
    ['42 characters', 'a'.repeat(42)],
    ['129 characters', 'a'.repeat(129)],
    ['empty', ''],
    ['a plus', `${'a'.repeat(42)}+`],
    ['a slash', `${'a'.repeat(42)}/`],
    ['padding', `${'a'.repeat(42)}=`],
    ['a space', `${'a'.repeat(42)} `],
    ['a trailing newline', `${'a'.repeat(43)}\n`],
    ['non-ASCII', `${'a'.repeat(42)}é`],
    ['a percent escape', `${'a'.repeat(40)}%41`],
  ])('RFC 7636 §4.1: %s is refused', (_case, value) => {
    expect(pkcePattern.test(value)).toBe(false);
  });
});

describe('checkChallenge (RFC 7636 §4.3, §4.4.1)', () => {
  test('RFC 7636 §4.3: an S256 challenge is accepted', () => {
    expect(okValue(checkChallenge(challenge, 'S256', true))).toEqual({
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
    });
  });

  test('RFC 7636 §4.4.1: no PKCE is fine when not required', () => {
    expect(okValue(checkChallenge(undefined, undefined, false))).toBeUndefined();
  });

  test.each<[string, string | undefined, string | undefined, boolean]>([
    ['PKCE missing when required', undefined, undefined, true],
    ['a method without challenge', undefined, 'S256', false],
    ['a method without challenge when required', undefined, 'S256', true],
    ['a challenge without method (defaults to plain)', challenge, undefined, false],
    ['plain', challenge, 'plain', false],
    ['lower-case s256', challenge, 's256', false],
    ['a method with a trailing space', challenge, 'S256 ', false],
    ['a 42-character challenge', 'a'.repeat(42), 'S256', false],
    ['a 129-character challenge', 'a'.repeat(129), 'S256', false],
    ['a challenge with a bad character', `${'a'.repeat(42)}!`, 'S256', false],
    ['a standard-base64 challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM=', 'S256', false],
  ])('RFC 7636 §4.3, RFC 9700 §2.1.1: %s is invalid_request', (_case, value, method, required) => {
    expect(errValue(checkChallenge(value, method, required)).error).toBe('invalid_request');
  });
});

describe('checkVerifier (RFC 7636 §4.6, RFC 9700 §4.8.2)', () => {
  test('RFC 7636 Appendix B: the example verifier hashes to the example challenge', async () => {
    expect(await sha256Base64url(webCrypto, verifier)).toBe(challenge);
  });

  test('RFC 7636 §4.6: a matching verifier is accepted', () => {
    expect(checkVerifier({ codeChallenge: challenge }, verifier, challenge).isOk()).toBe(true);
  });

  test('RFC 7636 §4.6: no challenge and no verifier is accepted', () => {
    expect(checkVerifier({}, undefined, undefined).isOk()).toBe(true);
  });

  test('RFC 9700 §4.8.2: a verifier for a code without challenge is invalid_grant', () => {
    expect(errValue(checkVerifier({}, verifier, challenge)).error).toBe('invalid_grant');
  });

  test.each<[string, string | undefined, string | undefined]>([
    ['a missing verifier', undefined, undefined],
    ['a verifier with another hash', 'a'.repeat(43), 'b'.repeat(43)],
    ['a verifier without a computed hash', verifier, undefined],
    ['a malformed verifier whose hash happens to match', 'short', challenge],
    ['the challenge itself as verifier (plain)', challenge, challenge.slice(1)],
  ])('RFC 7636 §4.6: %s is invalid_grant', (_case, value, computed) => {
    expect(errValue(checkVerifier({ codeChallenge: challenge }, value, computed)).error).toBe(
      'invalid_grant',
    );
  });
});

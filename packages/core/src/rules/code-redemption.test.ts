import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../../test/result.ts';
import type { ClientRecord, CodeRecord } from '../ports.ts';
import { type CodeRedemption, checkCodeRedemption } from './code-redemption.ts';

const now = 1_700_000_000_000;
const redirectUri = 'https://app.example.com/cb';
// RFC 7636 Appendix B.
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const client: ClientRecord = {
  id: 'client-1',
  name: 'Client',
  redirectUris: [redirectUri],
  tokenEndpointAuthMethod: 'client_secret_basic',
  secretHash: 'x'.repeat(43),
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid'],
};
const otherClient: ClientRecord = { ...client, id: 'client-2' };

function code(overrides: Partial<CodeRecord> = {}): CodeRecord {
  return {
    grantId: 'grant-1',
    clientId: 'client-1',
    scopes: ['openid'],
    issuedAt: now - 10_000,
    expiresAt: now + 50_000,
    subject: 'alice',
    redirectUri,
    redirectUriProvided: true,
    ...overrides,
  };
}

function redemption(overrides: Partial<CodeRedemption> = {}): CodeRedemption {
  return { redirectUri, codeVerifier: undefined, verifierChallenge: undefined, ...overrides };
}

const pkce = { codeVerifier: verifier, verifierChallenge: challenge };

describe('checkCodeRedemption (RFC 6749 §4.1.3)', () => {
  test('RFC 6749 §4.1.3: a fresh code of this client with the same redirect_uri is redeemed', () => {
    const record = code();
    expect(okValue(checkCodeRedemption(record, client, redemption(), now))).toBe(record);
  });

  test('RFC 6749 §4.1.3: a code issued to another client is invalid_grant', () => {
    const error = errValue(checkCodeRedemption(code(), otherClient, redemption(), now));
    expect(error.error).toBe('invalid_grant');
  });

  test('RFC 6749 §4.1.3: a client id differing only in case is another client', () => {
    const error = errValue(checkCodeRedemption(code(), { ...client, id: 'CLIENT-1' }, redemption(), now));
    expect(error.error).toBe('invalid_grant');
  });

  test.each([
    ['at its expiry instant', now],
    ['after its expiry', now - 1],
    ['long expired', 0],
  ])('RFC 6749 §4.1.2: a code %s is invalid_grant', (_case, expiresAt) => {
    const error = errValue(checkCodeRedemption(code({ expiresAt }), client, redemption(), now));
    expect(error.error).toBe('invalid_grant');
  });

  test('RFC 6749 §4.1.2: a code one millisecond before expiry is still redeemable', () => {
    expect(checkCodeRedemption(code({ expiresAt: now + 1 }), client, redemption(), now).isOk()).toBe(true);
  });

  test('RFC 6749 §5.2: the other-client and expired errors look the same to the client', () => {
    const other = errValue(checkCodeRedemption(code(), otherClient, redemption(), now));
    const expired = errValue(checkCodeRedemption(code({ expiresAt: now }), client, redemption(), now));
    expect(other.description).toBe(expired.description);
  });

  describe('redirect_uri was provided in the authorization request', () => {
    test.each([
      ['missing', undefined],
      ['different', 'https://app.example.com/other'],
      ['with a trailing slash', `${redirectUri}/`],
      ['in a different case', 'https://APP.example.com/cb'],
      ['with a query', `${redirectUri}?x=1`],
      ['empty', ''],
    ])('RFC 6749 §4.1.3: a redirect_uri %s is invalid_grant', (_case, sent) => {
      const error = errValue(checkCodeRedemption(code(), client, redemption({ redirectUri: sent }), now));
      expect(error.error).toBe('invalid_grant');
    });

    test('RFC 8252 §7.3: a loopback code is bound to the exact port it was issued for', () => {
      const record = code({ redirectUri: 'http://127.0.0.1:51004/cb' });
      const sent = redemption({ redirectUri: 'http://127.0.0.1:51005/cb' });
      expect(errValue(checkCodeRedemption(record, client, sent, now)).error).toBe('invalid_grant');
    });
  });

  describe('redirect_uri was not provided in the authorization request', () => {
    const record = code({ redirectUriProvided: false });

    test('RFC 6749 §4.1.3: the token request may omit redirect_uri', () => {
      expect(okValue(checkCodeRedemption(record, client, redemption({ redirectUri: undefined }), now))).toBe(
        record,
      );
    });

    test('RFC 6749 §4.1.3: a redirect_uri sent anyway must match', () => {
      expect(checkCodeRedemption(record, client, redemption(), now).isOk()).toBe(true);
      const error = errValue(
        checkCodeRedemption(record, client, redemption({ redirectUri: 'https://evil.example/cb' }), now),
      );
      expect(error.error).toBe('invalid_grant');
    });
  });

  describe('PKCE (RFC 7636 §4.6, RFC 9700 §4.8.2)', () => {
    const withChallenge = code({ codeChallenge: challenge, codeChallengeMethod: 'S256' });

    test('RFC 7636 §4.6: the matching code_verifier redeems the code', () => {
      expect(okValue(checkCodeRedemption(withChallenge, client, redemption(pkce), now))).toBe(withChallenge);
    });

    test.each<[string, Partial<CodeRedemption>]>([
      ['a missing code_verifier', {}],
      ['a wrong code_verifier', { codeVerifier: 'a'.repeat(43), verifierChallenge: 'b'.repeat(43) }],
      ['a verifier whose challenge was not computed', { codeVerifier: verifier }],
      [
        'a 42-character verifier, even with a matching challenge',
        { codeVerifier: verifier.slice(0, 42), verifierChallenge: challenge },
      ],
      [
        'a 129-character verifier, even with a matching challenge',
        { codeVerifier: 'a'.repeat(129), verifierChallenge: challenge },
      ],
      [
        'a verifier with a bad character, even with a matching challenge',
        { codeVerifier: `${verifier.slice(0, 42)}+`, verifierChallenge: challenge },
      ],
      [
        'the challenge sent as the verifier (plain downgrade)',
        { codeVerifier: challenge, verifierChallenge: 'x'.repeat(43) },
      ],
    ])('RFC 7636 §4.6: %s is invalid_grant', (_case, overrides) => {
      const error = errValue(checkCodeRedemption(withChallenge, client, redemption(overrides), now));
      expect(error.error).toBe('invalid_grant');
    });

    test('RFC 9700 §4.8.2: a code_verifier for a code issued without challenge is invalid_grant', () => {
      const error = errValue(checkCodeRedemption(code(), client, redemption(pkce), now));
      expect(error.error).toBe('invalid_grant');
    });

    test('RFC 7636 §4.6: a code without challenge is redeemed without verifier', () => {
      expect(checkCodeRedemption(code(), client, redemption(), now).isOk()).toBe(true);
    });

    test('RFC 6749 §4.1.3: the client check comes before PKCE (no verifier oracle for other clients)', () => {
      const error = errValue(checkCodeRedemption(withChallenge, otherClient, redemption(pkce), now));
      // One description for every refusal; the developer-only detail says which check failed.
      expect(error.detail).toMatch(/another client/);
    });
  });
});

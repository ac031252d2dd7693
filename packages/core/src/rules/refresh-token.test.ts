import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../../test/result.ts';
import type { ClientRecord, RefreshRotation, RefreshTokenRecord } from '../ports.ts';
import { checkRefreshToken, reuseDecision } from './refresh-token.ts';

const now = 1_700_000_000_000;

const client: ClientRecord = {
  id: 'client-1',
  name: 'Client',
  redirectUris: ['https://app.example.com/cb'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  secretHash: 'x'.repeat(43),
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid'],
};
const otherClient: ClientRecord = { ...client, id: 'client-2' };

describe('checkRefreshToken (RFC 6749 §6)', () => {
  function refresh(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
    return {
      grantId: 'grant-1',
      clientId: 'client-1',
      scopes: ['openid'],
      issuedAt: now - 1000,
      expiresAt: now + 1000,
      subject: 'alice',
      ...overrides,
    };
  }

  test('RFC 6749 §6: a live refresh token of this client is accepted', () => {
    const record = refresh();
    expect(okValue(checkRefreshToken(record, client, now))).toBe(record);
  });

  test.each<[string, RefreshTokenRecord | undefined, ClientRecord]>([
    ['an unknown refresh token', undefined, client],
    ['a refresh token of another client', refresh(), otherClient],
    ['a refresh token at its expiry instant', refresh({ expiresAt: now }), client],
    ['an expired refresh token', refresh({ expiresAt: now - 1 }), client],
  ])('RFC 6749 §6, §5.2: %s is invalid_grant', (_case, record, presenter) => {
    expect(errValue(checkRefreshToken(record, presenter, now)).error).toBe('invalid_grant');
  });

  test('RFC 6749 §6: a client no longer allowed refresh_token cannot refresh', () => {
    const result = checkRefreshToken(refresh(), { ...client, grantTypes: ['authorization_code'] }, now);
    expect(result.isErr()).toBe(true);
  });
});

describe('reuseDecision (RFC 9700 §4.14.2)', () => {
  const rotatedAt = now - 60_000;
  function rotation(overrides: Partial<RefreshRotation> = {}): RefreshRotation {
    return {
      rotatedAt,
      successor: { grantId: 'grant-1', hash: 'h'.repeat(43) },
      nonce: 'nonce-1',
      accessScopes: ['openid'],
      accessExpiresAt: rotatedAt + 3_600_000,
      ...overrides,
    };
  }
  const graceful = { ...client, refreshTokenGraceSeconds: 10 };

  test.each([
    ['right after the rotation', rotatedAt],
    ['inside the grace window', rotatedAt + 5_000],
    ['at the last instant of the grace window', rotatedAt + 10_000],
  ])('RFC 9700 §4.14.2: a retry %s gets the same successor', (_case, at) => {
    expect(reuseDecision(rotation(), graceful, at)).toEqual({ kind: 'retry', nonce: 'nonce-1' });
  });

  test.each([
    ['just after the grace window', rotatedAt + 10_001],
    ['long after the grace window', rotatedAt + 86_400_000],
  ])('RFC 9700 §4.14.2: a use %s is reuse', (_case, at) => {
    expect(reuseDecision(rotation(), graceful, at)).toEqual({ kind: 'reuse' });
  });

  test('RFC 9700 §4.14.2: a rotation without nonce is always reuse', () => {
    const { nonce: _, ...withoutNonce } = rotation();
    expect(reuseDecision(withoutNonce, graceful, rotatedAt + 1)).toEqual({ kind: 'reuse' });
  });

  test.each([
    ['no grace setting', undefined],
    ['a zero grace window', 0],
  ])('RFC 9700 §4.14.2: a client with %s treats any second use as reuse', (_case, grace) => {
    const strict = grace === undefined ? client : { ...client, refreshTokenGraceSeconds: grace };
    expect(reuseDecision(rotation(), strict, rotatedAt)).toEqual({ kind: 'reuse' });
  });
});

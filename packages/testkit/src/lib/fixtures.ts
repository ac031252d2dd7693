import {
  type AccessTokenRecord,
  base64url,
  type CodeRecord,
  type MintedToken,
  mintToken,
  newGrantId,
  type RefreshRotation,
  type RefreshTokenRecord,
  type TokenIssue,
  webCrypto,
} from '@kraikub/core';
import type { Timeline } from './harness.ts';

/**
 * Values that break naive serialisation (joining on commas, unescaped
 * quotes, UTF-16 surrogates) while staying valid per core's schemas.
 */
const trickyClientId = 'client:"quoted"\\{x},y';
const trickySubject = 'user ผู้ใช้ 👤 "quoted" \\ back, slash/';
const trickyScopes = ['openid', 'read:users', 'write,admin', 'urn:example:{scope}'] as const;
const trickyRedirectUri = 'https://app.example.com/cb?x=1&y=%20z';
/** RFC 7636 Appendix B. */
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** The non-secret parts a grant's records share. */
export interface GrantFixture {
  readonly grantId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
}

export interface CodeFixture {
  readonly token: MintedToken;
  readonly record: CodeRecord;
}

export interface IssueFixture {
  readonly issue: TokenIssue;
  readonly access: MintedToken;
  readonly refresh: MintedToken | undefined;
}

export interface RotationFixture {
  readonly rotation: RefreshRotation;
  readonly next: TokenIssue;
  readonly access: MintedToken;
  readonly refresh: MintedToken;
}

/** Builds records with real tokens (core's `mintToken`), timed on the test's timeline. */
export interface Fixtures {
  grant(): GrantFixture;
  code(grant: GrantFixture, options?: { ttl?: number; pkce?: boolean }): Promise<CodeFixture>;
  tokens(
    grant: GrantFixture,
    options?: { accessTtl?: number; refreshTtl?: number; refresh?: boolean; subject?: boolean },
  ): Promise<IssueFixture>;
  rotation(
    grant: GrantFixture,
    options?: { nonce?: boolean; accessTtl?: number; refreshTtl?: number },
  ): Promise<RotationFixture>;
}

export function fixtures(time: Timeline): Fixtures {
  let count = 0;
  const base = (grant: GrantFixture, ttl: number) => {
    const now = time.now();
    return { grantId: grant.grantId, clientId: grant.clientId, issuedAt: now, expiresAt: now + ttl };
  };

  const tokens: Fixtures['tokens'] = async (grant, options = {}) => {
    const withRefresh = options.refresh ?? true;
    const withSubject = withRefresh || (options.subject ?? true);
    const access = await mintToken(webCrypto, 'access_token', grant.grantId);
    const accessRecord: AccessTokenRecord = {
      ...base(grant, options.accessTtl ?? time.longTtl),
      scopes: grant.scopes,
      ...(withSubject ? { subject: grant.subject } : {}),
    };
    if (!withRefresh) {
      return {
        access,
        refresh: undefined,
        issue: { grantId: grant.grantId, accessToken: { key: access.key, record: accessRecord } },
      };
    }
    const refresh = await mintToken(webCrypto, 'refresh_token', grant.grantId);
    const refreshRecord: RefreshTokenRecord = {
      ...base(grant, options.refreshTtl ?? time.longTtl),
      scopes: grant.scopes,
      subject: grant.subject,
    };
    return {
      access,
      refresh,
      issue: {
        grantId: grant.grantId,
        accessToken: { key: access.key, record: accessRecord },
        refreshToken: { key: refresh.key, record: refreshRecord },
      },
    };
  };

  return {
    grant: () => {
      count += 1;
      return {
        grantId: newGrantId(webCrypto),
        clientId: `${trickyClientId}${count}`,
        subject: `${trickySubject}${count}`,
        scopes: trickyScopes,
      };
    },

    code: async (grant, options = {}) => {
      const token = await mintToken(webCrypto, 'code', grant.grantId);
      const pkce = options.pkce ?? true;
      const record: CodeRecord = {
        ...base(grant, options.ttl ?? time.shortTtl),
        scopes: grant.scopes,
        subject: grant.subject,
        redirectUri: trickyRedirectUri,
        redirectUriProvided: pkce,
        ...(pkce ? { codeChallenge: challenge, codeChallengeMethod: 'S256' as const } : {}),
      };
      return { token, record };
    },

    tokens,

    rotation: async (grant, options = {}) => {
      const issued = await tokens(grant, {
        refresh: true,
        ...(options.accessTtl === undefined ? {} : { accessTtl: options.accessTtl }),
        ...(options.refreshTtl === undefined ? {} : { refreshTtl: options.refreshTtl }),
      });
      const refresh = issued.refresh as MintedToken;
      const accessRecord = issued.issue.accessToken.record;
      const rotation: RefreshRotation = {
        rotatedAt: time.now(),
        successor: refresh.key,
        accessScopes: grant.scopes.slice(0, 2),
        accessExpiresAt: accessRecord.expiresAt,
        ...(options.nonce === true ? { nonce: base64url(webCrypto.randomBytes(32)) } : {}),
      };
      // The successor access token carries the (possibly narrowed) access scopes, as core writes it.
      const next: TokenIssue = {
        ...issued.issue,
        accessToken: { key: issued.access.key, record: { ...accessRecord, scopes: rotation.accessScopes } },
      };
      return { rotation, next, access: issued.access, refresh };
    },
  };
}

/** The value, which a fixture guarantees; a programming error in the suite otherwise. */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`conformance fixture: ${what} is missing`);
  return value;
}

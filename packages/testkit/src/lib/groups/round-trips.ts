import { defined } from '../fixtures.ts';
import type { Suite } from '../harness.ts';

/**
 * Every record comes back exactly as written (deep equality), optional
 * fields included, and unknown keys are simply not found.
 */
export function roundTrips(suite: Suite): void {
  const { test, expect, withStore } = suite;

  test(
    'findCode and consumeCode return the saved code record unchanged, PKCE fields included; consumeCode stores its tokens (GrantStore.saveCode/findCode/consumeCode)',
    withStore(async ({ store, fx }) => {
      const grant = fx.grant();
      const { token, record } = await fx.code(grant, { pkce: true });
      await store.saveCode(token.key, record);
      expect(await store.findCode(token.key)).toEqual({ record, consumed: false });
      const { issue } = await fx.tokens(grant);
      expect(await store.consumeCode(token.key, issue)).toEqual({ status: 'consumed', record });
      expect(await store.findCode(token.key), 'after consumption').toEqual({ record, consumed: true });
      expect(await store.findAccessToken(issue.accessToken.key)).toEqual(issue.accessToken.record);
      const refresh = defined(issue.refreshToken, 'refresh token');
      expect(await store.findRefreshToken(refresh.key)).toEqual(refresh.record);
    }),
  );

  test(
    'OpenID Connect and resource fields come back unchanged: oidc, resources, audience, accessAudience (every GrantStore write)',
    withStore(async ({ store, fx }) => {
      const grant = fx.grant();
      const oidc = {
        authTime: 1_767_225_600_123,
        acr: 'urn:example:loa:2',
        amr: ['pwd', 'otp'],
        claims: { userinfo: { email: { essential: true } }, id_token: { name: null } },
      };
      const resources = ['https://api.example.com', 'https://mcp.example.com/mcp?x=1'];
      const audience = [resources[1] as string];
      const code = await fx.code(grant, { pkce: true });
      const codeRecord = { ...code.record, oidc: { ...oidc, nonce: 'n-0S6_WzA2Mj' }, resources };
      await store.saveCode(code.token.key, codeRecord);
      expect(await store.findCode(code.token.key)).toEqual({ record: codeRecord, consumed: false });

      const issued = await fx.tokens(grant);
      const refresh = defined(issued.issue.refreshToken, 'refresh token');
      const issue = {
        ...issued.issue,
        accessToken: {
          ...issued.issue.accessToken,
          record: { ...issued.issue.accessToken.record, oidc, audience },
        },
        refreshToken: { ...refresh, record: { ...refresh.record, oidc, resources } },
      };
      expect(await store.consumeCode(code.token.key, issue)).toEqual({
        status: 'consumed',
        record: codeRecord,
      });
      expect(await store.findAccessToken(issue.accessToken.key)).toEqual(issue.accessToken.record);
      expect(await store.findRefreshToken(refresh.key)).toEqual(issue.refreshToken.record);

      const { rotation, next } = await fx.rotation(grant, { nonce: true });
      const bound = { ...rotation, accessAudience: audience };
      expect(await store.rotateRefreshToken(refresh.key, bound, next)).toEqual({ status: 'rotated' });
      expect(await store.findRefreshToken(refresh.key)).toEqual({
        ...issue.refreshToken.record,
        rotation: bound,
      });
    }),
  );

  test(
    'a code record without its optional fields comes back without them; tokens without a refresh token are stored (GrantStore.consumeCode)',
    withStore(async ({ store, fx }) => {
      const grant = fx.grant();
      const { token, record } = await fx.code(grant, { pkce: false });
      await store.saveCode(token.key, record);
      const { issue } = await fx.tokens(grant, { refresh: false });
      const result = await store.consumeCode(token.key, issue);
      expect(result).toEqual({ status: 'consumed', record });
      if (result.status === 'consumed') {
        expect(result.record.codeChallenge, 'codeChallenge').toBeUndefined();
        expect(result.record.codeChallengeMethod, 'codeChallengeMethod').toBeUndefined();
      }
      expect(await store.findAccessToken(issue.accessToken.key)).toEqual(issue.accessToken.record);
    }),
  );

  test(
    'issueTokens stores both records; findAccessToken and findRefreshToken return them unchanged (GrantStore.issueTokens)',
    withStore(async ({ store, fx }) => {
      const { issue } = await fx.tokens(fx.grant(), { refresh: true });
      expect(await store.issueTokens(issue)).toEqual({ status: 'issued' });
      expect(await store.findAccessToken(issue.accessToken.key)).toEqual(issue.accessToken.record);
      const refresh = defined(issue.refreshToken, 'refresh token');
      expect(await store.findRefreshToken(refresh.key)).toEqual(refresh.record);
    }),
  );

  test(
    'an access token without subject or refresh token (client credentials) round-trips (GrantStore.issueTokens)',
    withStore(async ({ store, fx }) => {
      const { issue } = await fx.tokens(fx.grant(), { refresh: false, subject: false });
      expect(await store.issueTokens(issue)).toEqual({ status: 'issued' });
      const found = await store.findAccessToken(issue.accessToken.key);
      expect(found).toEqual(issue.accessToken.record);
      expect(found?.subject, 'subject').toBeUndefined();
    }),
  );

  test(
    'rotateRefreshToken keeps the rotation on the old record and stores the successors unchanged (GrantStore.rotateRefreshToken)',
    withStore(async ({ store, fx }) => {
      const grant = fx.grant();
      const { issue } = await fx.tokens(grant, { refresh: true });
      await store.issueTokens(issue);
      const old = defined(issue.refreshToken, 'refresh token');
      const { rotation, next } = await fx.rotation(grant, { nonce: true });
      expect(await store.rotateRefreshToken(old.key, rotation, next)).toEqual({ status: 'rotated' });
      const rotated = { ...old.record, rotation };
      expect(await store.findRefreshToken(old.key)).toEqual(rotated);
      expect(await store.findAccessToken(next.accessToken.key)).toEqual(next.accessToken.record);
      const successor = defined(next.refreshToken, 'successor');
      expect(await store.findRefreshToken(successor.key)).toEqual(successor.record);
      // A second use reports the record with the rotation, a nonce-less one this time.
      const again = await fx.rotation(grant, { nonce: false });
      expect(await store.rotateRefreshToken(old.key, again.rotation, again.next)).toEqual({
        status: 'reused',
        record: rotated,
      });
    }),
  );

  test(
    'unknown keys: consumeCode and rotateRefreshToken are not_found and store nothing, finds are undefined, revokes are no-ops (GrantStore)',
    withStore(async ({ store, fx, time }) => {
      const grant = fx.grant();
      const { token } = await fx.code(grant);
      const { issue } = await fx.tokens(grant, { refresh: true });
      const refreshKey = defined(issue.refreshToken, 'refresh token').key;
      const { rotation, next } = await fx.rotation(grant);
      expect(await store.findCode(token.key)).toBeUndefined();
      expect(await store.consumeCode(token.key, issue)).toEqual({ status: 'not_found' });
      // not_found stores nothing: neither the code's tokens nor a rotation's successors.
      expect(await store.findAccessToken(issue.accessToken.key)).toBeUndefined();
      expect(await store.findRefreshToken(refreshKey)).toBeUndefined();
      expect(await store.rotateRefreshToken(refreshKey, rotation, next)).toEqual({ status: 'not_found' });
      expect(await store.findAccessToken(next.accessToken.key)).toBeUndefined();
      expect(await store.findRefreshToken(rotation.successor)).toBeUndefined();
      await store.revokeAccessToken(issue.accessToken.key);
      await store.revokeGrant(fx.grant().grantId, time.now() + time.longTtl);
      // Revoking an unknown grant leaves others alone.
      expect(await store.issueTokens(issue)).toEqual({ status: 'issued' });
      expect(await store.findAccessToken(issue.accessToken.key)).toEqual(issue.accessToken.record);
    }),
  );
}

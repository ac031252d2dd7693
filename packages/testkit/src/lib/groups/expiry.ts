import { defined } from '../fixtures.ts';
import type { Suite } from '../harness.ts';

/**
 * Nothing expired is returned as valid. In controlled time the boundary is
 * exact: valid at `expiresAt - 1`, expired at `expiresAt`.
 */
export function expiry(suite: Suite): void {
  const { test, expect, withStore } = suite;

  test(
    'findAccessToken returns nothing once the access token expired; its refresh token lives on (GrantStore.findAccessToken)',
    withStore(async ({ store, fx, time }) => {
      const { issue } = await fx.tokens(fx.grant(), { accessTtl: time.shortTtl, refreshTtl: time.longTtl });
      const access = issue.accessToken;
      const refresh = defined(issue.refreshToken, 'refresh token');
      await store.issueTokens(issue);
      expect(await store.findAccessToken(access.key)).toEqual(access.record);
      if (time.fake !== undefined) {
        time.fake.set(access.record.expiresAt - 1);
        expect(await store.findAccessToken(access.key), '1 ms before expiresAt').toEqual(access.record);
      }
      await time.reach(access.record.expiresAt);
      expect(await store.findAccessToken(access.key), 'at expiresAt').toBeUndefined();
      expect(await store.findRefreshToken(refresh.key), 'the unexpired refresh token').toEqual(
        refresh.record,
      );
    }),
  );

  test(
    'findRefreshToken returns nothing once the refresh token expired; its access token lives on (GrantStore.findRefreshToken)',
    withStore(async ({ store, fx, time }) => {
      const { issue } = await fx.tokens(fx.grant(), { accessTtl: time.longTtl, refreshTtl: time.shortTtl });
      const access = issue.accessToken;
      const refresh = defined(issue.refreshToken, 'refresh token');
      await store.issueTokens(issue);
      expect(await store.findRefreshToken(refresh.key)).toEqual(refresh.record);
      if (time.fake !== undefined) {
        time.fake.set(refresh.record.expiresAt - 1);
        expect(await store.findRefreshToken(refresh.key), '1 ms before expiresAt').toEqual(refresh.record);
      }
      await time.reach(refresh.record.expiresAt);
      expect(await store.findRefreshToken(refresh.key), 'at expiresAt').toBeUndefined();
      expect(await store.findAccessToken(access.key), 'the unexpired access token').toEqual(access.record);
    }),
  );

  test(
    'an expired, never used code: findCode is undefined, consumeCode is not_found and stores nothing (GrantStore.findCode/consumeCode, RFC 6749 section 4.1.2)',
    withStore(async ({ store, fx, time }) => {
      const grant = fx.grant();
      const { token, record } = await fx.code(grant, { ttl: time.shortTtl });
      await store.saveCode(token.key, record);
      if (time.fake !== undefined) {
        time.fake.set(record.expiresAt - 1);
        expect(await store.findCode(token.key), '1 ms before expiresAt').toEqual({ record, consumed: false });
      }
      await time.reach(record.expiresAt);
      expect(await store.findCode(token.key), 'at expiresAt').toBeUndefined();
      const { issue } = await fx.tokens(grant);
      expect(await store.consumeCode(token.key, issue)).toEqual({ status: 'not_found' });
      expect(await store.findAccessToken(issue.accessToken.key), 'its tokens').toBeUndefined();
    }),
  );

  test(
    'consumeCode tombstone: consumed once, then replayed with the grant id (storing nothing) until the code expires, then not_found (GrantStore.consumeCode)',
    withStore(async ({ store, fx, time }) => {
      const grant = fx.grant();
      const { token, record } = await fx.code(grant, { ttl: time.shortTtl });
      await store.saveCode(token.key, record);
      const first = await fx.tokens(grant);
      expect(await store.consumeCode(token.key, first.issue)).toEqual({ status: 'consumed', record });
      const replayed = { status: 'replayed', grantId: record.grantId };
      const replay = await fx.tokens(grant);
      expect(await store.consumeCode(token.key, replay.issue)).toEqual(replayed);
      expect(await store.findAccessToken(replay.issue.accessToken.key), "a replay's tokens").toBeUndefined();
      expect(await store.findCode(token.key)).toEqual({ record, consumed: true });
      if (time.fake !== undefined) {
        time.fake.set(record.expiresAt - 1);
        expect(await store.consumeCode(token.key, replay.issue), '1 ms before expiresAt').toEqual(replayed);
        expect(await store.findCode(token.key), '1 ms before expiresAt').toEqual({ record, consumed: true });
      }
      await time.reach(record.expiresAt);
      expect(await store.consumeCode(token.key, replay.issue), 'at expiresAt').toEqual({
        status: 'not_found',
      });
      expect(await store.consumeCode(token.key, replay.issue), 'and after').toEqual({ status: 'not_found' });
      expect(await store.findCode(token.key), 'at expiresAt').toBeUndefined();
      expect(await store.findAccessToken(replay.issue.accessToken.key), "a replay's tokens").toBeUndefined();
      // The tokens the code bought have lifetimes of their own.
      expect(await store.findAccessToken(first.issue.accessToken.key)).toEqual(
        first.issue.accessToken.record,
      );
    }),
  );

  test(
    'rotateRefreshToken on an expired refresh token is not_found and stores no successor (GrantStore.rotateRefreshToken)',
    withStore(async ({ store, fx, time }) => {
      const grant = fx.grant();
      const { issue } = await fx.tokens(grant, { refreshTtl: time.shortTtl });
      const refresh = defined(issue.refreshToken, 'refresh token');
      await store.issueTokens(issue);
      await time.reach(refresh.record.expiresAt);
      const { rotation, next } = await fx.rotation(grant);
      expect(await store.rotateRefreshToken(refresh.key, rotation, next)).toEqual({ status: 'not_found' });
      expect(await store.findAccessToken(next.accessToken.key), 'successor access token').toBeUndefined();
      expect(await store.findRefreshToken(rotation.successor), 'successor refresh token').toBeUndefined();
    }),
  );

  test(
    'a rotated refresh token is reused until it expires, then not_found (GrantStore.rotateRefreshToken, RFC 9700 section 4.14.2)',
    withStore(async ({ store, fx, time }) => {
      const grant = fx.grant();
      const { issue } = await fx.tokens(grant, { refreshTtl: time.shortTtl });
      const refresh = defined(issue.refreshToken, 'refresh token');
      await store.issueTokens(issue);
      const first = await fx.rotation(grant);
      expect(await store.rotateRefreshToken(refresh.key, first.rotation, first.next)).toEqual({
        status: 'rotated',
      });
      const rotated = { ...refresh.record, rotation: first.rotation };
      const retry = await fx.rotation(grant);
      expect(await store.rotateRefreshToken(refresh.key, retry.rotation, retry.next)).toEqual({
        status: 'reused',
        record: rotated,
      });
      await time.reach(refresh.record.expiresAt);
      const late = await fx.rotation(grant);
      expect(await store.rotateRefreshToken(refresh.key, late.rotation, late.next), 'at expiresAt').toEqual({
        status: 'not_found',
      });
      expect(await store.findRefreshToken(refresh.key), 'at expiresAt').toBeUndefined();
      // The successor has a lifetime of its own.
      expect(await store.findRefreshToken(first.rotation.successor)).toEqual(first.next.refreshToken?.record);
    }),
  );
}

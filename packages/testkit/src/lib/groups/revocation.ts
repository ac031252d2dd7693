import type { ConsumeCodeResult, GrantStore, RotateRefreshTokenResult, TokenKey } from '@kraikub/core';
import { defined, type IssueFixture, type RotationFixture } from '../fixtures.ts';
import type { Harness, Suite } from '../harness.ts';

/** Every token of `issues` and `rotations` is inactive. */
async function expectInactive(
  suite: Suite,
  store: GrantStore,
  issues: readonly IssueFixture[],
  rotations: readonly RotationFixture[] = [],
): Promise<void> {
  const access = [
    ...issues.map((issue) => issue.issue.accessToken.key),
    ...rotations.map((rotation) => rotation.next.accessToken.key),
  ];
  const refresh = [
    ...issues.flatMap((issue) => (issue.refresh === undefined ? [] : [issue.refresh.key])),
    ...rotations.map((rotation) => rotation.rotation.successor),
  ];
  for (const key of access) suite.expect(await store.findAccessToken(key), 'an access token').toBeUndefined();
  for (const key of refresh)
    suite.expect(await store.findRefreshToken(key), 'a refresh token').toBeUndefined();
}

/**
 * After revocation a code may be `not_found` or `replayed` (a tombstone that
 * makes core revoke again, which is harmless); it is never `consumed`.
 */
function expectCodeInactive(suite: Suite, result: ConsumeCodeResult, grantId: string): void {
  if (result.status === 'replayed') suite.expect(result).toEqual({ status: 'replayed', grantId });
  else suite.expect(result, 'a code of a revoked grant').toEqual({ status: 'not_found' });
}

/** A grant with a used and an unused code, tokens, a rotation, and a lone access token. */
async function populatedGrant({ store, fx }: Harness) {
  const grant = fx.grant();
  const unused = await fx.code(grant);
  const used = await fx.code(grant);
  await store.saveCode(unused.token.key, unused.record);
  await store.saveCode(used.token.key, used.record);
  const issued = await fx.tokens(grant);
  await store.consumeCode(used.token.key, issued.issue);
  const rotated = await fx.rotation(grant);
  const first = defined(issued.refresh, 'refresh token').key;
  const rotation = await store.rotateRefreshToken(first, rotated.rotation, rotated.next);
  const lone = await fx.tokens(grant, { refresh: false });
  await store.issueTokens(lone.issue);
  return { grant, unused, used, issued, rotated, lone, rotation };
}

/**
 * `revokeGrant` revokes every code and token of one grant, refuses new
 * tokens for it, and touches no other grant; `revokeAccessToken` revokes one
 * access token only.
 */
export function revocation(suite: Suite): void {
  const { test, expect, withStore, concurrency: n } = suite;
  const retain = ({ time }: Harness) => time.now() + time.longTtl;

  test(
    'revokeGrant makes every code, access token and refresh token of the grant inactive; no code of it is consumed (GrantStore.revokeGrant, RFC 6749 section 4.1.2, RFC 7009 section 2.1)',
    withStore(async (harness) => {
      const { store, fx } = harness;
      const g = await populatedGrant(harness);
      expect(g.rotation, 'setting up').toEqual({ status: 'rotated' });
      await store.revokeGrant(g.grant.grantId, retain(harness));

      expect(await store.findCode(g.unused.token.key), 'findCode, unused code').toBeUndefined();
      expect(await store.findCode(g.used.token.key), 'findCode, used code').toBeUndefined();
      const late = await fx.tokens(g.grant);
      expectCodeInactive(suite, await store.consumeCode(g.unused.token.key, late.issue), g.grant.grantId);
      expectCodeInactive(suite, await store.consumeCode(g.used.token.key, late.issue), g.grant.grantId);
      await expectInactive(suite, store, [g.issued, g.lone, late], [g.rotated]);
      // Neither the rotated token nor its unrotated successor can rotate any more.
      const retry = await fx.rotation(g.grant);
      const first = defined(g.issued.refresh, 'refresh token').key;
      const results: RotateRefreshTokenResult[] = [
        await store.rotateRefreshToken(first, retry.rotation, retry.next),
        await store.rotateRefreshToken(g.rotated.rotation.successor, retry.rotation, retry.next),
      ];
      expect(results[0]?.status, 'the rotated token').not.toBe('rotated');
      expect(results[1], 'the live successor').toEqual({ status: 'not_found' });
      await expectInactive(suite, store, [], [retry]);
    }),
  );

  test(
    'issueTokens for a revoked grant is refused with grant_revoked and stores nothing (GrantStore.issueTokens)',
    withStore(async (harness) => {
      const { store, fx } = harness;
      const grant = fx.grant();
      await store.revokeGrant(grant.grantId, retain(harness));
      const late = await fx.tokens(grant);
      expect(await store.issueTokens(late.issue)).toEqual({ status: 'grant_revoked' });
      await expectInactive(suite, store, [late]);
      // Also after the grant had records of its own.
      const g = await populatedGrant(harness);
      await store.revokeGrant(g.grant.grantId, retain(harness));
      const later = await fx.tokens(g.grant);
      expect(await store.issueTokens(later.issue)).toEqual({ status: 'grant_revoked' });
      await expectInactive(suite, store, [later]);
    }),
  );

  test(
    'revokeGrant leaves every other grant alone (GrantStore.revokeGrant)',
    withStore(async (harness) => {
      const { store, fx } = harness;
      const kept = fx.grant();
      const code = await fx.code(kept);
      await store.saveCode(code.token.key, code.record);
      const issued = await fx.tokens(kept);
      await store.issueTokens(issued.issue);
      const revoked = await populatedGrant(harness);
      await store.revokeGrant(revoked.grant.grantId, retain(harness));

      expect(await store.findCode(code.token.key)).toEqual({ record: code.record, consumed: false });
      const bought = await fx.tokens(kept);
      expect(await store.consumeCode(code.token.key, bought.issue)).toEqual({
        status: 'consumed',
        record: code.record,
      });
      expect(await store.findAccessToken(bought.issue.accessToken.key)).toEqual(
        bought.issue.accessToken.record,
      );
      expect(await store.findAccessToken(issued.issue.accessToken.key)).toEqual(
        issued.issue.accessToken.record,
      );
      const refresh = defined(issued.issue.refreshToken, 'refresh token');
      expect(await store.findRefreshToken(refresh.key)).toEqual(refresh.record);
      const { rotation, next } = await fx.rotation(kept);
      expect(await store.rotateRefreshToken(refresh.key, rotation, next)).toEqual({ status: 'rotated' });
      const more = await fx.tokens(kept);
      expect(await store.issueTokens(more.issue)).toEqual({ status: 'issued' });
    }),
  );

  test(
    'revokeAccessToken revokes that access token only, not its grant (GrantStore.revokeAccessToken, RFC 7009 section 2.1)',
    withStore(async (harness) => {
      const { store, fx } = harness;
      const grant = fx.grant();
      const code = await fx.code(grant);
      await store.saveCode(code.token.key, code.record);
      const one = await fx.tokens(grant);
      const two = await fx.tokens(grant, { refresh: false });
      await store.issueTokens(one.issue);
      await store.issueTokens(two.issue);

      await store.revokeAccessToken(one.issue.accessToken.key);
      expect(await store.findAccessToken(one.issue.accessToken.key), 'the revoked token').toBeUndefined();
      await store.revokeAccessToken(one.issue.accessToken.key);
      expect(await store.findAccessToken(two.issue.accessToken.key), 'its sibling').toEqual(
        two.issue.accessToken.record,
      );
      const refresh = defined(one.issue.refreshToken, 'refresh token');
      expect(await store.findRefreshToken(refresh.key), 'its refresh token').toEqual(refresh.record);
      const more = await fx.tokens(grant);
      expect(await store.consumeCode(code.token.key, more.issue), 'its code').toEqual({
        status: 'consumed',
        record: code.record,
      });
      const yetMore = await fx.tokens(grant);
      expect(await store.issueTokens(yetMore.issue), 'new tokens').toEqual({ status: 'issued' });
    }),
  );

  test(
    `revokeGrant racing ${n} issueTokens calls: afterwards no token of the grant is active (GrantStore.revokeGrant/issueTokens)`,
    withStore(async (harness) => {
      const { store, fx } = harness;
      const grant = fx.grant();
      const issues = await Promise.all(Array.from({ length: n }, () => fx.tokens(grant)));
      const calls: Promise<unknown>[] = issues.map(({ issue }) => store.issueTokens(issue));
      calls.splice(Math.floor(n / 2), 0, store.revokeGrant(grant.grantId, retain(harness)));
      await Promise.all(calls);
      await expectInactive(suite, store, issues);
      const late = await fx.tokens(grant);
      expect(await store.issueTokens(late.issue)).toEqual({ status: 'grant_revoked' });
    }),
  );

  test(
    `revokeGrant racing ${n} rotations of one refresh token: afterwards neither it nor any successor is active (GrantStore.revokeGrant/rotateRefreshToken)`,
    withStore(async (harness) => {
      const { store, fx } = harness;
      const grant = fx.grant();
      const issued = await fx.tokens(grant);
      await store.issueTokens(issued.issue);
      const old: TokenKey = defined(issued.refresh, 'refresh token').key;
      const contenders = await Promise.all(Array.from({ length: n }, () => fx.rotation(grant)));
      const calls: Promise<unknown>[] = contenders.map(({ rotation, next }) =>
        store.rotateRefreshToken(old, rotation, next),
      );
      calls.splice(Math.floor(n / 2), 0, store.revokeGrant(grant.grantId, retain(harness)));
      await Promise.all(calls);
      await expectInactive(suite, store, [issued], contenders);
    }),
  );
}

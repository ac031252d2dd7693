import type { ConsumeCodeResult, RotateRefreshTokenResult } from '@kraikub/core';
import { defined, type IssueFixture, type RotationFixture } from '../fixtures.ts';
import type { Suite } from '../harness.ts';

const count = (results: readonly { status: string }[], status: string) =>
  results.filter((result) => result.status === status).length;

/**
 * `consumeCode` is atomic: of N parallel calls on one code exactly one
 * wins. This is what ory/fosite#778 (two concurrent exchanges of one code
 * both succeed) is about.
 */
export function concurrentConsumption(suite: Suite): void {
  const { test, expect, withStore, concurrency: n } = suite;

  test(
    `${n} parallel consumeCode calls on one code: exactly one consumed, every other replayed, only the winner's tokens stored (GrantStore.consumeCode, RFC 6749 section 4.1.2)`,
    withStore(async ({ store, fx }) => {
      const grant = fx.grant();
      const { token, record } = await fx.code(grant);
      await store.saveCode(token.key, record);
      // Every contender brings the tokens it minted, as concurrent token requests would.
      const contenders: IssueFixture[] = await Promise.all(Array.from({ length: n }, () => fx.tokens(grant)));
      const results = await Promise.all(contenders.map(({ issue }) => store.consumeCode(token.key, issue)));
      expect(count(results, 'consumed'), 'consumed').toBe(1);
      expect(count(results, 'replayed'), 'replayed').toBe(n - 1);
      const winner = defined(
        contenders[results.findIndex((result) => result.status === 'consumed')],
        'the winner',
      );
      expect(results.find((result) => result.status === 'consumed')).toEqual({ status: 'consumed', record });
      for (const result of results.filter((r) => r.status !== 'consumed')) {
        expect(result).toEqual({ status: 'replayed', grantId: record.grantId });
      }
      expect(await store.findCode(token.key), 'after the race').toEqual({ record, consumed: true });
      expect(await store.findAccessToken(winner.issue.accessToken.key), "the winner's access token").toEqual(
        winner.issue.accessToken.record,
      );
      const refresh = defined(winner.issue.refreshToken, 'refresh token');
      expect(await store.findRefreshToken(refresh.key), "the winner's refresh token").toEqual(refresh.record);
      for (const loser of contenders.filter((contender) => contender !== winner)) {
        expect(
          await store.findAccessToken(loser.issue.accessToken.key),
          "a loser's access token",
        ).toBeUndefined();
        expect(
          await store.findRefreshToken(defined(loser.refresh, 'refresh token').key),
          "a loser's refresh token",
        ).toBeUndefined();
      }
    }),
  );

  // At least two calls per code, up to five codes.
  const codeCount = Math.max(1, Math.min(5, Math.floor(n / 2)));
  test(
    `${n} parallel consumeCode calls spread over ${codeCount} codes of one grant: exactly one winner per code (GrantStore.consumeCode)`,
    withStore(async ({ store, fx }) => {
      const grant = fx.grant();
      const codes = await Promise.all(Array.from({ length: codeCount }, () => fx.code(grant)));
      for (const { token, record } of codes) await store.saveCode(token.key, record);
      const issues = await Promise.all(Array.from({ length: n }, () => fx.tokens(grant, { refresh: false })));
      const results = await Promise.all(
        issues.map(({ issue }, i): Promise<readonly [number, ConsumeCodeResult]> => {
          const index = i % codes.length;
          const code = defined(codes[index], 'code');
          return store.consumeCode(code.token.key, issue).then((result) => [index, result] as const);
        }),
      );
      codes.forEach((code, index) => {
        const mine = results.filter(([i]) => i === index).map(([, result]) => result);
        expect(count(mine, 'consumed'), `consumed, code ${index}`).toBe(1);
        expect(count(mine, 'replayed'), `replayed, code ${index}`).toBe(mine.length - 1);
        expect(mine.find((result) => result.status === 'consumed')).toEqual({
          status: 'consumed',
          record: code.record,
        });
      });
    }),
  );
}

/**
 * `rotateRefreshToken` is atomic: of N parallel rotations of one refresh
 * token exactly one wins, and only the winner's successors are stored.
 */
export function concurrentRotation(suite: Suite): void {
  const { test, expect, withStore, concurrency: n } = suite;

  test(
    `${n} parallel rotateRefreshToken calls on one token: exactly one rotated, the others reused with the winner's rotation (GrantStore.rotateRefreshToken, RFC 9700 section 4.14.2)`,
    withStore(async ({ store, fx }) => {
      const grant = fx.grant();
      const { issue } = await fx.tokens(grant);
      const old = defined(issue.refreshToken, 'refresh token');
      await store.issueTokens(issue);
      // Every contender brings its own successors, as concurrent token requests would.
      const contenders: RotationFixture[] = await Promise.all(
        Array.from({ length: n }, (_, i) => fx.rotation(grant, { nonce: i % 2 === 0 })),
      );
      const results: RotateRefreshTokenResult[] = await Promise.all(
        contenders.map(({ rotation, next }) => store.rotateRefreshToken(old.key, rotation, next)),
      );
      expect(count(results, 'rotated'), 'rotated').toBe(1);
      expect(count(results, 'reused'), 'reused').toBe(n - 1);
      const winner = defined(
        contenders[results.findIndex((result) => result.status === 'rotated')],
        'the winner',
      );
      const rotated = { ...old.record, rotation: winner.rotation };
      for (const result of results.filter((r) => r.status !== 'rotated')) {
        expect(result).toEqual({ status: 'reused', record: rotated });
      }
      expect(await store.findRefreshToken(old.key), 'the old token after the race').toEqual(rotated);
      const successor = defined(winner.next.refreshToken, 'successor');
      expect(await store.findRefreshToken(successor.key), "the winner's successor").toEqual(successor.record);
      expect(await store.findAccessToken(winner.next.accessToken.key), "the winner's access token").toEqual(
        winner.next.accessToken.record,
      );
      for (const loser of contenders.filter((contender) => contender !== winner)) {
        expect(await store.findRefreshToken(loser.rotation.successor), "a loser's successor").toBeUndefined();
        expect(
          await store.findAccessToken(loser.next.accessToken.key),
          "a loser's access token",
        ).toBeUndefined();
      }
    }),
  );
}

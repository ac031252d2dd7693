import type { MintedToken } from '@kraikub/core';
import { defined } from '../fixtures.ts';
import type { Suite } from '../harness.ts';

/** The secret part of a token: everything after the `.` (the grant id before it is not secret). */
const secretOf = (token: MintedToken) => token.value.slice(token.value.indexOf('.') + 1);

/**
 * Keys are SHA-256 hashes and raw tokens never reach storage: what the store
 * holds contains every key hash and no token, nor any token's secret part.
 */
export function hashedKeys(suite: Suite): void {
  const { test, expect, withStore } = suite;

  test(
    'everything stored is keyed by token hashes; no raw token or token secret is stored (DESIGN section 3, GrantStore keys)',
    withStore(async ({ store, fx, inspect }) => {
      if (inspect === undefined) {
        throw new Error(
          "createStore returned no inspect(): give one (a serialisation of everything stored), or skip the 'hashed-keys' group",
        );
      }
      const grant = fx.grant();
      const used = await fx.code(grant);
      const unused = await fx.code(grant);
      await store.saveCode(used.token.key, used.record);
      await store.saveCode(unused.token.key, unused.record);
      const issued = await fx.tokens(grant);
      await store.consumeCode(used.token.key, issued.issue);
      const rotated = await fx.rotation(grant, { nonce: true });
      await store.rotateRefreshToken(
        defined(issued.refresh, 'refresh token').key,
        rotated.rotation,
        rotated.next,
      );

      const dump = await inspect();
      expect(typeof dump, 'inspect() returns a string').toBe('string');
      const stored = [
        unused.token,
        issued.access,
        defined(issued.refresh, 'refresh'),
        rotated.access,
        rotated.refresh,
      ];
      for (const token of stored) expect(dump, 'a key hash').toContain(token.key.hash);
      for (const token of [used.token, ...stored]) {
        expect(dump.includes(token.value), `raw ${token.value.slice(0, 4)} token is stored`).toBe(false);
        expect(dump.includes(secretOf(token)), `secret of a ${token.value.slice(0, 4)} token is stored`).toBe(
          false,
        );
      }
    }),
  );
}

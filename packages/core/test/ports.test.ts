import { MemoryGrantStore } from '@kraikub/adapter-memory';
import { type GrantStore, StorageUnavailableError } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { basicAuth, exchange, harness, issueCode, SECRETS, TestClock, unwrap, unwrapErr } from './support.ts';

type Method = keyof GrantStore;
type Failure = 'throw' | 'reject' | 'unavailable';

/** A real store whose `method` fails in the chosen way, once armed. */
function faulty(inner: MemoryGrantStore, method: Method, failure: Failure) {
  const state = { armed: false };
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== method || typeof value !== 'function')
        return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        if (!state.armed) return value.apply(target, args);
        if (failure === 'throw') throw new Error('boom (sync)');
        if (failure === 'reject') return Promise.reject(new Error('boom (async)'));
        return Promise.reject(new StorageUnavailableError('backend down'));
      };
    },
  });
  return { store: store as GrantStore, state };
}

const expected: Record<Failure, string> = {
  throw: 'server_error',
  reject: 'server_error',
  unavailable: 'temporarily_unavailable',
};

describe('a failing port never leaks and never issues (DESIGN.md §2)', () => {
  test.each(['throw', 'reject', 'unavailable'] as const)(
    'code exchange with consumeCode failing (%s)',
    async (failure) => {
      const clock = new TestClock();
      const inner = new MemoryGrantStore({ clock });
      const { store, state } = faulty(inner, 'consumeCode', failure);
      const h = await harness({ store });
      const { code } = await issueCode(h);
      state.armed = true;
      const error = unwrapErr(await exchange(h, code));
      expect(error.error).toBe(expected[failure]);
      expect(error.description).not.toContain('boom');
      expect(error.detail).toContain('GrantStore.consumeCode');
      expect(Object.keys(inner.snapshot().accessTokens)).toHaveLength(0);
      // Once the store is back, the code still works: nothing was half-done.
      state.armed = false;
      expect(unwrap(await exchange(h, code)).token_type).toBe('Bearer');
    },
  );

  test.each([
    'findCode',
    'saveCode',
    'findRefreshToken',
    'rotateRefreshToken',
    'revokeGrant',
    'findAccessToken',
  ] as const)('every use case turns a thrown %s into server_error', async (method) => {
    const inner = new MemoryGrantStore({ clock: new TestClock() });
    const { store, state } = faulty(inner, method, 'throw');
    const h = await harness({ store });
    const { code, request } = await issueCode(h);
    const tokens = unwrap(await exchange(h, code));
    state.armed = true;
    const asBasic = basicAuth('basic-client', SECRETS.basic);
    // One after another: each call must fail closed on its own, not because another revoked the grant.
    const calls = [
      () => h.server.approve(request, { subject: 'u' }),
      () =>
        h.server.token({
          params: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
          authorization: asBasic,
        }),
      () => h.server.introspect({ params: { token: tokens.access_token }, authorization: asBasic }),
      () => h.server.verifyAccessToken(tokens.access_token),
      () => h.server.revoke({ params: { token: tokens.refresh_token ?? '' }, authorization: asBasic }),
      () => exchange(h, code), // a replay: revokes the grant, so last
    ];
    const results = [];
    for (const call of calls) results.push(await call());
    const errors = results.filter((r) => r.isErr()).map((r) => r._unsafeUnwrapErr().error);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e === 'server_error' || e === 'invalid_grant')).toBe(true);
    expect(errors).toContain('server_error');
  });

  test('a ClientStore that rejects becomes server_error at every endpoint', async () => {
    const h = await harness({ clients: { findClient: () => Promise.reject(new Error('db gone')) } });
    const authz = unwrapErr(await h.server.authorize({ response_type: 'code', client_id: 'x' }));
    expect(authz.error).toBe('server_error');
    expect(authz.redirect).toBeUndefined();
    const tok = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' },
      }),
    );
    expect(tok.error).toBe('server_error');
  });
});

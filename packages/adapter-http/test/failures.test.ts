import { MemoryGrantStore } from '@kraikub/adapter-memory';
import { type GrantStore, StorageUnavailableError } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { authorizeQuery, codeFor, exchange, provider, type Transport } from './support.ts';

/** A memory store whose every method fails while `down` is set. */
function flaky(failure: () => Error) {
  const inner = new MemoryGrantStore();
  const state = { down: false };
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (state.down ? Promise.reject(failure()) : value.apply(target, args));
    },
  }) as GrantStore;
  return { store, state };
}

describe.each<Transport>(['fetch', 'node'])('store failures through %s', (transport) => {
  test.each([
    [
      'a StorageUnavailableError',
      () => new StorageUnavailableError('redis down'),
      503,
      'temporarily_unavailable',
    ],
    ['any other error', () => new Error('disk on fire at /var/secret/path'), 500, 'server_error'],
  ])(
    '%s at the token endpoint is %i JSON, no stack trace, nothing issued',
    async (_name, failure, status, code) => {
      const { store, state } = flaky(failure);
      const p = await provider(transport, { grants: store });
      try {
        const issued = await codeFor(p);
        state.down = true;
        const response = await exchange(p, issued);
        expect(response.status).toBe(status);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual({ error: code, error_description: expect.any(String) });
        expect(text).not.toMatch(/disk on fire|redis down|at .*\.ts|Error:/);
        state.down = false;
        // Nothing was consumed: the same code still works once the store is back.
        expect((await exchange(p, issued)).status).toBe(200);
      } finally {
        await p.close();
      }
    },
  );

  test('a failing store at the authorization endpoint is an HTML 5xx page, never a redirect', async () => {
    const { store, state } = flaky(() => new StorageUnavailableError('down'));
    const p = await provider(transport, { grants: store });
    try {
      state.down = true;
      const response = await p.send(authorizeQuery(), { headers: { 'x-test-user': 'alice' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await p.close();
    }
  });

  test('an interaction store that is down makes /authorize a 503 page, never a redirect', async () => {
    const down = () => Promise.reject(new StorageUnavailableError('interaction store down'));
    const { MemoryInteractionStore } = await import('@kraikub/adapter-memory');
    const store = Object.assign(new MemoryInteractionStore(), { saveInteraction: down });
    const p = await provider(transport, { interactionStore: store });
    try {
      const response = await p.send(authorizeQuery(), { headers: { 'x-test-user': 'alice' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).not.toContain('interaction store down');
    } finally {
      await p.close();
    }
  });

  test('an interaction callback that throws is a 500 page and reported', async () => {
    const seen: unknown[] = [];
    const p = await provider(transport, {
      handler: {
        interact: () => {
          throw new Error('host bug');
        },
        onError: (event) => seen.push(event.error),
      },
    });
    try {
      const response = await p.send(authorizeQuery());
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('host bug');
      expect(seen).toHaveLength(1);
    } finally {
      await p.close();
    }
  });
});

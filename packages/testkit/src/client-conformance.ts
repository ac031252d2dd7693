import type { ClientRecord, ClientStore } from '@kraikub/core';
import type { SuiteDescribe, SuiteExpect, SuiteTest } from './conformance.ts';

/** A client store to test, and how to tear it down. */
export interface ClientStoreUnderTest {
  /** A store with the write operations (`registerClient`, `updateClient`, `deleteClient`, `listClients`). */
  readonly store: ClientStore;
  readonly close?: () => Promise<void> | void;
}

/** Options of {@link runClientStoreConformance}. */
export interface ClientStoreConformanceOptions {
  /** A fresh, empty store for one test. */
  readonly createStore: () => Promise<ClientStoreUnderTest> | ClientStoreUnderTest;
  readonly describe: SuiteDescribe;
  readonly test: SuiteTest;
  readonly expect: SuiteExpect;
  /** Shown in the outer `describe`. Default `ClientStore`. */
  readonly name?: string;
  /** Parallel registrations of one id in the race test. Default 20. */
  readonly concurrency?: number;
}

let counter = 0;
/** A client id unique to this run, so stores shared between tests never collide. */
function freshId(): string {
  counter += 1;
  return `client-${counter}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A confidential client with every optional field set. */
function confidential(id: string, name = 'Confidential App'): ClientRecord {
  return {
    id,
    name,
    redirectUris: ['https://app.example/callback', 'https://app.example/other?x=1'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    secretHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes: ['profile', 'email'],
    defaultScopes: ['profile'],
    requirePkce: true,
    refreshTokenGraceSeconds: 10,
    postLogoutRedirectUris: ['https://app.example/signed-out'],
    resources: ['https://api.example/'],
    clientUri: 'https://app.example/',
    logoUri: 'https://app.example/logo.png',
    policyUri: 'https://app.example/privacy',
    tosUri: 'https://app.example/terms',
    contacts: ['ops@app.example'],
    softwareId: 'b5f3c1d2-app',
    softwareVersion: '2.1.0',
    registration: { accessTokenHash: 'Xq3o2nB0Kk9l8v3r1R2s6t7u8w9x0y1z2A3B4C5D6E7', issuedAt: 1767225600 },
  };
}

/** A public client with no optional field: what comes back must have none either. */
function publicClient(id: string): ClientRecord {
  return {
    id,
    name: 'Native App ✓',
    redirectUris: ['http://127.0.0.1/callback'],
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['authorization_code'],
    scopes: ['profile'],
  };
}

function required<T>(method: T | undefined, name: string): T {
  if (method === undefined) throw new TypeError(`runClientStoreConformance: the store has no ${name}`);
  return method;
}

/**
 * Registers the write side of the {@link ClientStore} contract with your test
 * runner: records round-trip unchanged (optional fields absent, never
 * `undefined`), a taken id is `exists`, update and delete answer `not_found`
 * for unknown ids and change nothing then, `listClients` lists what is
 * stored, and of N parallel registrations of one id exactly one wins.
 *
 * @example
 * ```ts
 * import { MemoryClientStore } from '@kraikub/adapter-memory';
 * import { runClientStoreConformance } from '@kraikub/testkit';
 * import { describe, expect, test } from 'vitest';
 *
 * runClientStoreConformance({
 *   describe, test, expect,
 *   createStore: () => ({ store: new MemoryClientStore() }),
 * });
 * ```
 */
export function runClientStoreConformance(options: ClientStoreConformanceOptions): void {
  const { describe, test, expect } = options;
  const concurrency = options.concurrency ?? 20;

  async function withStore(body: (store: ClientStore) => Promise<void>) {
    const under = await options.createStore();
    try {
      await body(under.store);
    } finally {
      await under.close?.();
    }
  }
  const register = (store: ClientStore, client: ClientRecord) =>
    required(store.registerClient, 'registerClient').call(store, client);

  describe(options.name ?? 'ClientStore', () => {
    test('a registered client round-trips unchanged, optional fields absent where they were', () =>
      withStore(async (store) => {
        const full = confidential(freshId());
        const bare = publicClient(freshId());
        expect(await register(store, full)).toEqual({ status: 'registered' });
        expect(await register(store, bare)).toEqual({ status: 'registered' });
        expect(await store.findClient(full.id)).toEqual(full);
        const found = await store.findClient(bare.id);
        expect(found).toEqual(bare);
        expect(Object.keys(found ?? {}).sort(), 'no key beyond those given').toEqual(
          Object.keys(bare).sort(),
        );
        expect(await store.findClient(freshId())).toBeUndefined();
      }));

    test('registering a taken id is `exists` and changes nothing', () =>
      withStore(async (store) => {
        const first = confidential(freshId(), 'First');
        await register(store, first);
        expect(await register(store, { ...first, name: 'Second' })).toEqual({ status: 'exists' });
        expect(await store.findClient(first.id)).toEqual(first);
      }));

    test('update replaces an existing client; an unknown one is `not_found` and nothing is stored', () =>
      withStore(async (store) => {
        const update = required(store.updateClient, 'updateClient').bind(store);
        const client = confidential(freshId());
        await register(store, client);
        const { defaultScopes: _, ...withoutDefaults } = client;
        const changed: ClientRecord = { ...withoutDefaults, name: 'Renamed', scopes: ['profile'] };
        expect(await update(changed)).toEqual({ status: 'updated' });
        expect(await store.findClient(client.id)).toEqual(changed);
        const stranger = publicClient(freshId());
        expect(await update(stranger)).toEqual({ status: 'not_found' });
        expect(await store.findClient(stranger.id)).toBeUndefined();
      }));

    test('delete removes a client once; then it is `not_found`', () =>
      withStore(async (store) => {
        const remove = required(store.deleteClient, 'deleteClient').bind(store);
        const client = publicClient(freshId());
        await register(store, client);
        expect(await remove(client.id)).toEqual({ status: 'deleted' });
        expect(await store.findClient(client.id)).toBeUndefined();
        expect(await remove(client.id)).toEqual({ status: 'not_found' });
        // The id is free again.
        expect(await register(store, client)).toEqual({ status: 'registered' });
      }));

    test('listClients lists what is stored', () =>
      withStore(async (store) => {
        const list = required(store.listClients, 'listClients').bind(store);
        const ids = [freshId(), freshId(), freshId()];
        for (const id of ids) await register(store, publicClient(id));
        await required(store.deleteClient, 'deleteClient').call(store, ids[1] as string);
        const listed = (await list()).map((client) => client.id);
        expect(listed).toContain(ids[0]);
        expect(listed).toContain(ids[2]);
        expect(listed.includes(ids[1] as string), 'a deleted client is not listed').toBe(false);
      }));

    test(`${concurrency} parallel registrations of one id: exactly one is registered, and it is the one stored`, () =>
      withStore(async (store) => {
        const id = freshId();
        const attempts = Array.from({ length: concurrency }, (_, i) => confidential(id, `Attempt ${i}`));
        const results = await Promise.all(attempts.map((client) => register(store, client)));
        const winners = results.flatMap((result, i) => (result.status === 'registered' ? [i] : []));
        expect(winners.length, 'winners').toBe(1);
        expect(await store.findClient(id)).toEqual(attempts[winners[0] as number]);
      }));
  });
}

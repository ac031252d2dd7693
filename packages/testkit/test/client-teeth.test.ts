import { MemoryClientStore } from '@kraikub/adapter-memory';
import type { ClientRecord, RegisterClientResult, UpdateClientResult } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { runClientStoreConformance } from '../src/index.ts';
import { outcome } from './support.ts';

/** Runs the client suite against `make` and returns the names of the tests that failed. */
async function failures(make: () => MemoryClientStore): Promise<string[]> {
  const tests: { name: string; fn: () => Promise<void> }[] = [];
  runClientStoreConformance({
    describe: (_name, body) => body(),
    test: (name, fn) => tests.push({ name, fn }),
    expect,
    createStore: () => ({ store: make() }),
  });
  const failed: string[] = [];
  for (const t of tests) if (!(await outcome(t.fn)).passed) failed.push(t.name);
  return failed;
}

/** Check-then-act: looks, awaits, then writes. Parallel registrations of one id all win. */
class RacyRegisterStore extends MemoryClientStore {
  override async registerClient(client: ClientRecord): Promise<RegisterClientResult> {
    const taken = (await this.findClient(client.id)) !== undefined;
    await new Promise((resolve) => setImmediate(resolve));
    if (taken) return { status: 'exists' };
    this.register(client);
    return { status: 'registered' };
  }
}

/** Stores what it is given through a JSON round trip that turns absent fields into nulls. */
class NullFieldsStore extends MemoryClientStore {
  override async findClient(clientId: string): Promise<ClientRecord | undefined> {
    const found = await super.findClient(clientId);
    return found === undefined ? undefined : ({ secretHash: null, ...found } as unknown as ClientRecord);
  }
}

/** An update that inserts unknown clients (an upsert). */
class UpsertStore extends MemoryClientStore {
  override async updateClient(client: ClientRecord): Promise<UpdateClientResult> {
    this.register(client);
    return { status: 'updated' };
  }
}

describe('the ClientStore suite has teeth', () => {
  test('the real memory store passes every test', async () => {
    expect(await failures(() => new MemoryClientStore())).toEqual([]);
  });

  test('a check-then-act registration fails the race test, and only it', async () => {
    expect(await failures(() => new RacyRegisterStore())).toEqual([
      '20 parallel registrations of one id: exactly one is registered, and it is the one stored',
    ]);
  });

  test('a store that adds keys the client did not have fails the round trip', async () => {
    expect(await failures(() => new NullFieldsStore())).toContain(
      'a registered client round-trips unchanged, optional fields absent where they were',
    );
  });

  test('an update that inserts unknown clients fails the update test', async () => {
    expect(await failures(() => new UpsertStore())).toEqual([
      'update replaces an existing client; an unknown one is `not_found` and nothing is stored',
    ]);
  });
});

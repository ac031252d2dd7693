import { MemoryInteractionStore } from '@kraikub/adapter-memory';
import type { Clock, InteractionRecord, InteractionStore } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { runInteractionStoreConformance } from '../src/index.ts';
import { outcome } from './support.ts';

/** Runs the interaction suite against `make` and returns each test's outcome by name. */
async function outcomes(make: (clock: Clock) => InteractionStore): Promise<Map<string, boolean>> {
  const tests: { name: string; fn: () => Promise<void> }[] = [];
  runInteractionStoreConformance({
    describe: (_name, body) => body(),
    test: (name, fn) => tests.push({ name, fn }),
    expect,
    createStore: ({ clock }) => ({ store: make(clock) }),
  });
  const result = new Map<string, boolean>();
  for (const t of tests) result.set(t.name, (await outcome(t.fn)).passed);
  return result;
}

/** Check-then-act: a read, an await, then the delete. Two takers can both win. */
class RacyTakeStore extends MemoryInteractionStore {
  override async takeInteraction(key: string): Promise<InteractionRecord | undefined> {
    const found = await this.findInteraction(key);
    await new Promise((resolve) => setImmediate(resolve));
    await super.takeInteraction(key);
    return found;
  }
}

/** Forgets to check expiry. */
class ImmortalStore implements InteractionStore {
  readonly #records = new Map<string, InteractionRecord>();
  async saveInteraction(key: string, record: InteractionRecord) {
    this.#records.set(key, record);
  }
  async findInteraction(key: string) {
    return this.#records.get(key);
  }
  async takeInteraction(key: string) {
    const record = this.#records.get(key);
    this.#records.delete(key);
    return record;
  }
}

describe('the InteractionStore suite has teeth', () => {
  test('the real memory store passes every test', async () => {
    const results = await outcomes((clock) => new MemoryInteractionStore({ clock }));
    expect(results.size).toBe(4);
    expect([...results.values()].every(Boolean)).toBe(true);
  });

  test('a check-then-act take fails the race test, and only it', async () => {
    const results = await outcomes((clock) => new RacyTakeStore({ clock }));
    const race = [...results].filter(([name]) => name.includes('parallel takes'));
    expect(race).toHaveLength(1);
    expect(race[0]?.[1]).toBe(false);
    expect(
      [...results].filter(([name]) => !name.includes('parallel takes')).every(([, passed]) => passed),
    ).toBe(true);
  });

  test('a store that ignores expiry fails the expiry test', async () => {
    const results = await outcomes(() => new ImmortalStore());
    expect(results.get('an expired interaction is neither found nor taken')).toBe(false);
  });
});

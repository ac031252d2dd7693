import { MemoryInteractionStore } from '@kraikub/adapter-memory';
import type {
  Clock,
  InteractionLimits,
  InteractionRecord,
  InteractionStore,
  SaveInteractionResult,
} from '@kraikub/core';
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
  override async consumeInteraction(key: string): Promise<InteractionRecord | undefined> {
    const found = await this.findInteraction(key);
    await new Promise((resolve) => setImmediate(resolve));
    await super.consumeInteraction(key);
    return found;
  }
}

/** Forgets to check expiry (and honours the caps only by counting what it holds). */
class ImmortalStore implements InteractionStore {
  readonly #records = new Map<string, InteractionRecord>();
  async saveInteraction(
    key: string,
    record: InteractionRecord,
    limits: InteractionLimits,
  ): Promise<SaveInteractionResult> {
    if (this.#records.size >= limits.total) return { status: 'limited', limit: 'total' };
    this.#records.set(key, record);
    return { status: 'saved' };
  }
  async findInteraction(key: string) {
    return this.#records.get(key);
  }
  async consumeInteraction(key: string) {
    const record = this.#records.get(key);
    this.#records.delete(key);
    return record;
  }
}

/** Ignores the caps: every save is stored. */
class UncappedStore extends MemoryInteractionStore {
  override saveInteraction(key: string, record: InteractionRecord): Promise<SaveInteractionResult> {
    return super.saveInteraction(key, record, {
      total: Number.MAX_SAFE_INTEGER,
      perSource: Number.MAX_SAFE_INTEGER,
    });
  }
}

/** Check-then-act on the cap: counts, awaits, then writes. Parallel saves overshoot. */
class RacyCapStore extends MemoryInteractionStore {
  #pending = 0;
  override async saveInteraction(
    key: string,
    record: InteractionRecord,
    limits: InteractionLimits,
  ): Promise<SaveInteractionResult> {
    if (this.#pending >= limits.total) return { status: 'limited', limit: 'total' };
    await new Promise((resolve) => setImmediate(resolve));
    this.#pending++;
    return super.saveInteraction(key, record, { ...limits, total: Number.MAX_SAFE_INTEGER });
  }
}

const failed = (results: Map<string, boolean>) =>
  [...results].filter(([, passed]) => !passed).map(([name]) => name);

describe('the InteractionStore suite has teeth', () => {
  test('the real memory store passes every test', async () => {
    const results = await outcomes((clock) => new MemoryInteractionStore({ clock }));
    expect(results.size).toBe(8);
    expect(failed(results)).toEqual([]);
  });

  test('a check-then-act consume fails the race test, and only it', async () => {
    const results = await outcomes((clock) => new RacyTakeStore({ clock }));
    expect(failed(results)).toEqual(['50 parallel consumptions of one interaction: exactly one gets it']);
  });

  test('a store that ignores expiry fails the expiry tests', async () => {
    const results = await outcomes(() => new ImmortalStore());
    expect(results.get('an expired interaction is neither found nor consumed')).toBe(false);
    expect(results.get('expired interactions free their places')).toBe(false);
  });

  test('a store that ignores the caps fails every cap test', async () => {
    const results = await outcomes((clock) => new UncappedStore({ clock }));
    expect(failed(results)).toEqual([
      'the total cap: the next save is refused and stores nothing; consuming one frees a place',
      'the per-source cap counts one source only; other sources and sourceless saves go on',
      'expired interactions free their places',
      '50 parallel saves against a cap of 5: exactly 5 are stored',
    ]);
  });

  test('a cap checked before an await overshoots under parallel saves', async () => {
    const results = await outcomes((clock) => new RacyCapStore({ clock }));
    expect(results.get('50 parallel saves against a cap of 5: exactly 5 are stored')).toBe(false);
  });
});

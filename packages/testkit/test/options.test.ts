import { MemoryGrantStore } from '@kraikub/adapter-memory';
import { describe, expect, test } from 'vitest';
import {
  type ConformanceGroup,
  conformanceGroups,
  runStoreConformance,
  type StoreConformanceOptions,
} from '../src/index.ts';
import { collect } from './support.ts';

const createStore: StoreConformanceOptions['createStore'] = ({ clock }) => ({
  store: new MemoryGrantStore({ clock }),
});

describe('runStoreConformance options', () => {
  test('registers every group by default, inside one outer block naming the store and time mode', () => {
    const blocks: string[] = [];
    runStoreConformance({
      name: 'SomeStore',
      timeMode: 'real',
      createStore,
      expect,
      describe: (name, body) => {
        blocks.push(name);
        body();
      },
      test: () => {},
    });
    expect(blocks).toEqual(['GrantStore conformance: SomeStore (real time)', ...conformanceGroups]);
  });

  test('skip leaves groups out', () => {
    const skip: ConformanceGroup[] = ['model', 'expiry'];
    const groups = new Set(collect({ createStore, skip }).map((t) => t.group));
    expect([...groups]).toEqual(conformanceGroups.filter((group) => !skip.includes(group)));
  });

  test('concurrency and modelRuns show in the test names', () => {
    const names = collect({ createStore, concurrency: 7, modelRuns: 3 }).map((t) => t.name);
    expect(names.filter((name) => name.startsWith('7 parallel')).length).toBeGreaterThanOrEqual(3);
    expect(names.some((name) => name.startsWith('3 random sequences'))).toBe(true);
  });

  test('the smallest concurrency (2) still gives meaningful race tests that pass for MemoryGrantStore', async () => {
    const races = collect({ createStore, concurrency: 2 }).filter(
      (t) => t.group === 'concurrent-consumption' || t.group === 'concurrent-rotation',
    );
    expect(races.length).toBeGreaterThanOrEqual(3);
    for (const race of races) await expect(race.fn(), race.name).resolves.toBeUndefined();
  });

  test('every test gets a timeout, generous for networked stores', () => {
    const timeouts: (number | undefined)[] = [];
    runStoreConformance({
      createStore,
      expect,
      describe: (_name, body) => body(),
      test: (_name, _fn, timeout) => {
        timeouts.push(timeout);
      },
    });
    expect(timeouts.every((timeout) => typeof timeout === 'number' && timeout >= 30_000)).toBe(true);
  });

  test('programmer mistakes throw a TypeError at registration', () => {
    const base = { createStore, expect, describe: () => {}, test: () => {} };
    expect(() => runStoreConformance({ ...base, skip: ['no-such-group' as ConformanceGroup] })).toThrow(
      /unknown group "no-such-group"/,
    );
    expect(() => runStoreConformance({ ...base, concurrency: 1 })).toThrow(TypeError);
    expect(() => runStoreConformance({ ...base, modelRuns: 0.5 })).toThrow(TypeError);
    expect(() => runStoreConformance({ ...base, timeMode: 'fast' as 'real' })).toThrow(TypeError);
    expect(() =>
      runStoreConformance({ ...base, createStore: undefined as unknown as typeof createStore }),
    ).toThrow(TypeError);
    expect(() =>
      runStoreConformance({ ...base, test: undefined as unknown as StoreConformanceOptions['test'] }),
    ).toThrow(/test must be your test runner's test/);
  });

  test('a createStore that returns no store fails the test, saying so', async () => {
    const tests = collect({
      createStore: () => ({}) as unknown as { store: MemoryGrantStore },
      skip: conformanceGroups.filter((group) => group !== 'round-trips'),
    });
    const first = tests[0];
    expect(first).toBeDefined();
    await expect(first?.fn()).rejects.toThrow(/createStore must return \{ store: GrantStore \}/);
  });

  test('each test closes its store, also when the test fails', async () => {
    let opened = 0;
    let closed = 0;
    const tests = collect({
      skip: conformanceGroups.filter((group) => group !== 'round-trips'),
      createStore: ({ clock }) => {
        opened += 1;
        const store = new MemoryGrantStore({ clock });
        // A broken read: every round-trip test fails.
        store.findAccessToken = async () => undefined;
        store.findCode = async () => undefined;
        return {
          store,
          close: () => {
            closed += 1;
          },
        };
      },
    });
    const results = await Promise.allSettled(tests.map((t) => t.fn()));
    expect(results.some((result) => result.status === 'rejected')).toBe(true);
    expect(opened).toBe(tests.length);
    expect(closed).toBe(opened);
  });
});

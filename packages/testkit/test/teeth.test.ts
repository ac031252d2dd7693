import { MemoryGrantStore } from '@kraikub/adapter-memory';
import {
  base64url,
  type Clock,
  type ConsumeCodeResult,
  type RefreshRotation,
  type RotateRefreshTokenResult,
  type TokenIssue,
  type TokenKey,
} from '@kraikub/core';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ConformanceGroup, StoreConformanceOptions } from '../src/index.ts';
import { type CollectedTest, collect, outcome } from './support.ts';

// The suite must fail stores that break the contract, not only pass good ones.
// Each broken store below breaks exactly one thing; the suite's own tests,
// collected with a fake describe/test, must reject for it and pass for the
// real MemoryGrantStore.

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Check-then-act: reads the code, yields (as a network round trip would),
 * then writes, trusting what it read. The classic race of ory/fosite#778.
 */
class RacyConsumeStore extends MemoryGrantStore {
  override async consumeCode(key: TokenKey, tokens: TokenIssue): Promise<ConsumeCodeResult> {
    const found = await this.findCode(key);
    await tick();
    if (found === undefined) return { status: 'not_found' };
    if (found.consumed) return { status: 'replayed', grantId: found.record.grantId };
    await super.consumeCode(key, tokens);
    await this.issueTokens(tokens);
    return { status: 'consumed', record: found.record };
  }
}

/** The same race on refresh token rotation. */
class RacyRotateStore extends MemoryGrantStore {
  override async rotateRefreshToken(
    old: TokenKey,
    rotation: RefreshRotation,
    next: TokenIssue,
  ): Promise<RotateRefreshTokenResult> {
    const record = await this.findRefreshToken(old);
    await tick();
    if (record === undefined) return { status: 'not_found' };
    if (record.rotation !== undefined) return { status: 'reused', record };
    await super.rotateRefreshToken(old, rotation, next);
    await this.issueTokens(next);
    return { status: 'rotated' };
  }
}

const concurrencyGroups: readonly ConformanceGroup[] = ['concurrent-consumption', 'concurrent-rotation'];
const inGroup = (tests: readonly CollectedTest[], group: ConformanceGroup) =>
  tests.filter((t) => t.group === group);
const named = (tests: readonly CollectedTest[]) => tests.map((t) => [t.name, t] as const);

/** Creates `Store` on the suite's clock, with `inspect` for the hashed-keys group. */
const storeOf =
  (Store: typeof MemoryGrantStore): StoreConformanceOptions['createStore'] =>
  ({ clock }) => {
    const store = new Store({ clock });
    return { store, inspect: () => JSON.stringify(store.snapshot()) };
  };
const real = collect({ createStore: storeOf(MemoryGrantStore) });
const racyConsume = collect({ createStore: storeOf(RacyConsumeStore) });
const racyRotate = collect({ createStore: storeOf(RacyRotateStore) });

/** The function of the one test in `tests`. */
function only(tests: readonly CollectedTest[]): () => Promise<void> {
  const [first, ...rest] = tests;
  if (first === undefined || rest.length > 0) throw new Error(`expected one test, got ${tests.length}`);
  return first.fn;
}

describe('the suite collects what it promises', () => {
  test('one describe block per group, each with tests', () => {
    const groups = new Set(real.map((t) => t.group));
    expect([...groups]).toEqual([
      'round-trips',
      'expiry',
      'concurrent-consumption',
      'concurrent-rotation',
      'revocation',
      'hashed-keys',
      'model',
    ]);
    for (const group of groups) expect(inGroup(real, group).length, group).toBeGreaterThan(0);
  });
});

describe('concurrency groups pass for MemoryGrantStore', () => {
  test.each(named(real.filter((t) => concurrencyGroups.includes(t.group))))('%s', async (_name, t) => {
    expect(await outcome(t.fn)).toEqual({ passed: true, message: '' });
  });
});

describe('a consumeCode with an await between read and write fails concurrent consumption', () => {
  const tests = inGroup(racyConsume, 'concurrent-consumption');

  test('there are tests to fail', () => {
    expect(tests.length).toBeGreaterThan(0);
  });

  test.each(named(tests))('%s', async (_name, t) => {
    const result = await outcome(t.fn);
    expect(result.passed).toBe(false);
    // It fails on the count of winners, not on a broken fixture.
    expect(result.message).toMatch(/^consumed(, code \d+)?: expected \d+ to be 1/);
  });

  test.each(named(racyConsume.filter((t) => t.group !== 'concurrent-consumption' && t.group !== 'model')))(
    'still passes every check it does not break: %s',
    async (_name, t) => {
      expect(await outcome(t.fn)).toEqual({ passed: true, message: '' });
    },
  );
});

describe('a rotateRefreshToken with an await between read and write fails concurrent rotation', () => {
  const tests = inGroup(racyRotate, 'concurrent-rotation');

  test('there are tests to fail', () => {
    expect(tests.length).toBeGreaterThan(0);
  });

  test.each(named(tests))('%s', async (_name, t) => {
    const result = await outcome(t.fn);
    expect(result.passed).toBe(false);
    expect(result.message).toMatch(/^rotated: expected \d+ to be 1/);
  });

  test.each(named(racyRotate.filter((t) => t.group !== 'concurrent-rotation' && t.group !== 'model')))(
    'still passes every check it does not break: %s',
    async (_name, t) => {
      expect(await outcome(t.fn)).toEqual({ passed: true, message: '' });
    },
  );
});

describe('hashed keys only', () => {
  // The port never hands a store a raw token, so a store that "keeps raw
  // tokens" is simulated: a spy on Web Crypto's digest remembers which raw
  // value every hash came from, and the broken stores' inspect() puts them in.
  const rawOf = new Map<string, string>();
  const decoder = new TextDecoder();
  beforeEach(() => {
    const subtle = globalThis.crypto.subtle;
    const digest = subtle.digest.bind(subtle);
    vi.spyOn(subtle, 'digest').mockImplementation(async (algorithm, data) => {
      const out = await digest(algorithm, data);
      rawOf.set(base64url(new Uint8Array(out)), decoder.decode(data as Uint8Array));
      return out;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rawOf.clear();
  });

  const hashedKeysTest = (inspect: (store: MemoryGrantStore) => string) =>
    collect({
      skip: ['round-trips', 'expiry', 'concurrent-consumption', 'concurrent-rotation', 'revocation', 'model'],
      createStore: ({ clock }) => {
        const store = new MemoryGrantStore({ clock });
        return { store, inspect: () => inspect(store) };
      },
    });
  const dump = (store: MemoryGrantStore) => JSON.stringify(store.snapshot());
  const withRawKeys = (text: string) => text.replace(/[A-Za-z0-9_-]{43}/g, (hash) => rawOf.get(hash) ?? hash);

  test('passes for MemoryGrantStore', async () => {
    expect(await outcome(only(hashedKeysTest(dump)))).toEqual({ passed: true, message: '' });
  });

  test('fails for a store keyed by raw tokens', async () => {
    const result = await outcome(only(hashedKeysTest((store) => withRawKeys(dump(store)))));
    expect(result.passed).toBe(false);
    expect(result.message).toMatch(/^a key hash: expected/);
  });

  test('fails for a store that keeps raw tokens beside their hashes', async () => {
    const result = await outcome(
      only(hashedKeysTest((store) => `${dump(store)}\n${withRawKeys(dump(store))}`)),
    );
    expect(result.passed).toBe(false);
    expect(result.message).toMatch(/raw .* token is stored/);
  });

  test('fails, saying why, for a store without inspect()', async () => {
    const tests = collect({
      skip: ['round-trips', 'expiry', 'concurrent-consumption', 'concurrent-rotation', 'revocation', 'model'],
      createStore: ({ clock }) => ({ store: new MemoryGrantStore({ clock }) }),
    });
    const result = await outcome(only(tests));
    expect(result.passed).toBe(false);
    expect(result.message).toMatch(/no inspect\(\).*skip the 'hashed-keys' group/);
  });
});

describe('the model-based run catches contract breaks on its own', () => {
  /** A store that judges expiry with `<` where the contract says `<=`: one millisecond late. */
  class LateExpiryStore extends MemoryGrantStore {
    constructor({ clock }: { clock: Clock }) {
      super({ clock: { now: () => clock.now() - 1 } });
    }
  }
  /** A store that forgets a consumed code at once: a replay is not_found, so core cannot revoke the grant. */
  class NoTombstoneStore extends MemoryGrantStore {
    override async consumeCode(key: TokenKey, tokens: TokenIssue): Promise<ConsumeCodeResult> {
      const result = await super.consumeCode(key, tokens);
      return result.status === 'replayed' ? { status: 'not_found' } : result;
    }
  }
  const modelOnly = (createStore: StoreConformanceOptions['createStore']) =>
    only(
      collect({
        createStore,
        skip: [
          'round-trips',
          'expiry',
          'concurrent-consumption',
          'concurrent-rotation',
          'revocation',
          'hashed-keys',
        ],
      }),
    );

  test('passes for MemoryGrantStore', async () => {
    expect(await outcome(modelOnly(storeOf(MemoryGrantStore)))).toEqual({ passed: true, message: '' });
  });

  test.each([
    ['expiry one millisecond late', LateExpiryStore],
    ['no consumeCode tombstone', NoTombstoneStore],
  ] as const)('fails for a store with %s', async (_name, Store) => {
    const result = await outcome(modelOnly(storeOf(Store)));
    expect(result.passed).toBe(false);
    // fast-check's report: the shrunk sequence of commands that disagrees with the model.
    expect(result.message).toMatch(/Property failed after \d+ tests/);
  });
});

import type { Clock, GrantStore } from '@kraikub/core';
import { concurrentConsumption, concurrentRotation } from './lib/groups/concurrency.ts';
import { expiry } from './lib/groups/expiry.ts';
import { hashedKeys } from './lib/groups/hashed-keys.ts';
import { modelBased } from './lib/groups/model.ts';
import { revocation } from './lib/groups/revocation.ts';
import { roundTrips } from './lib/groups/round-trips.ts';
import { type Suite, suite } from './lib/harness.ts';

/**
 * The groups of the conformance suite, in the order they run. Each is one
 * `describe` block named exactly like this; pass names in
 * {@link StoreConformanceOptions.skip} to leave groups out.
 */
export const conformanceGroups = [
  'round-trips',
  'expiry',
  'concurrent-consumption',
  'concurrent-rotation',
  'revocation',
  'hashed-keys',
  'model',
] as const;

/** One group of the conformance suite (see {@link conformanceGroups}). */
export type ConformanceGroup = (typeof conformanceGroups)[number];

/**
 * How the suite moves time.
 * - `controlled`: the store gets a {@link FakeClock} that the suite sets and
 *   advances; expiry is checked to the millisecond (a record whose
 *   `expiresAt` equals now has expired).
 * - `real`: for backends that expire records themselves (Redis `PX`, SQL
 *   TTL jobs): the store gets the system clock, records the suite waits out
 *   live about 1 s, and the suite really waits. Slower; no clock advances
 *   in the model-based run.
 */
export type TimeMode = 'controlled' | 'real';

/** The part of an assertion the suite uses; vitest's and Jest's `expect` fit. */
export interface SuiteAssertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toContain(item: unknown): void;
  readonly not: SuiteAssertion;
}

/** `expect` as vitest and Jest spell it; the message is optional context for failures. */
export type SuiteExpect = (actual: unknown, message?: string) => SuiteAssertion;

/** `describe`: registers a block of tests; `body` registers them synchronously. */
export type SuiteDescribe = (name: string, body: () => void) => void;

/** `test` (or `it`): registers one asynchronous test, with a timeout in ms. */
export type SuiteTest = (name: string, fn: () => Promise<void>, timeout?: number) => void;

/** What the suite hands {@link StoreConformanceOptions.createStore}. */
export interface StoreContext {
  /**
   * The clock the store must judge expiry by: a {@link FakeClock} in
   * `controlled` mode, the system clock in `real` mode.
   */
  readonly clock: Clock;
}

/** A store to test, and how to look inside it and tear it down. */
export interface StoreUnderTest {
  readonly store: GrantStore;
  /**
   * A serialisation of everything stored (keys and values), for the
   * hashed-keys check: it must contain the key hashes as the store was given
   * them, and no raw token. Without it the `hashed-keys` group fails and says
   * so: give one, or put `'hashed-keys'` in {@link StoreConformanceOptions.skip}.
   */
  readonly inspect?: () => Promise<string> | string;
  /** Releases the store (connections, timers, keys). Called once per store, also after failures. */
  readonly close?: () => Promise<void> | void;
}

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions {
  /**
   * Creates a fresh, empty store for one test (and for each model-based
   * run). It must judge expiry by `context.clock`.
   */
  readonly createStore: (context: StoreContext) => Promise<StoreUnderTest> | StoreUnderTest;
  /** The test runner's `describe`. */
  readonly describe: SuiteDescribe;
  /** The test runner's `test` or `it`; the suite passes a timeout as third argument. */
  readonly test: SuiteTest;
  /** The test runner's `expect`. */
  readonly expect: SuiteExpect;
  /** Shown in the outer `describe`. Default `GrantStore`. */
  readonly name?: string;
  /** Default `controlled`. */
  readonly timeMode?: TimeMode;
  /** Parallel calls in the concurrency groups. Default 50; at least 2. */
  readonly concurrency?: number;
  /** Runs of the model-based group. Default 200; at least 1. */
  readonly modelRuns?: number;
  /** Groups to leave out. */
  readonly skip?: readonly ConformanceGroup[];
}

const register: Readonly<Record<ConformanceGroup, (suite: Suite) => void>> = {
  'round-trips': roundTrips,
  expiry,
  'concurrent-consumption': concurrentConsumption,
  'concurrent-rotation': concurrentRotation,
  revocation,
  'hashed-keys': hashedKeys,
  model: modelBased,
};

/** Per test; generous, for networked stores and real-time waits. */
const defaultTimeoutMs = 30_000;

function positiveInteger(value: number | undefined, fallback: number, min: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < min) {
    throw new TypeError(`runStoreConformance: ${name} must be an integer of at least ${min}`);
  }
  return result;
}

/**
 * Registers the {@link GrantStore} conformance suite with your test runner:
 * round-trips, expiry, concurrent consumption and rotation (N parallel calls,
 * exactly one winner), grant revocation, hashed keys only, and a model-based
 * run with fast-check commands. Call it at the top level of a test file.
 *
 * The suite is framework-neutral: pass your runner's `describe`, `test` and
 * `expect`. Every test gets a fresh store from `createStore` and closes it.
 *
 * @example
 * ```ts
 * import type { Clock, GrantStore } from '@kraikub/core';
 * import { runStoreConformance } from '@kraikub/testkit';
 * import { describe, expect, test } from 'vitest';
 *
 * // Your adapter (import it from your sources):
 * interface MyGrantStore extends GrantStore {}
 * declare class MyGrantStore {
 *   constructor(options: { clock: Clock });
 *   dump(): Promise<string>;
 *   quit(): Promise<void>;
 * }
 *
 * runStoreConformance({
 *   name: 'MyGrantStore',
 *   describe,
 *   test,
 *   expect,
 *   createStore: ({ clock }) => {
 *     const store = new MyGrantStore({ clock });
 *     return { store, inspect: () => store.dump(), close: () => store.quit() };
 *   },
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  if (typeof options?.createStore !== 'function') {
    throw new TypeError('runStoreConformance: createStore must be a function');
  }
  for (const name of ['describe', 'test', 'expect'] as const) {
    if (typeof options[name] !== 'function') {
      throw new TypeError(`runStoreConformance: ${name} must be your test runner's ${name}`);
    }
  }
  const timeMode = options.timeMode ?? 'controlled';
  if (timeMode !== 'controlled' && timeMode !== 'real') {
    throw new TypeError("runStoreConformance: timeMode must be 'controlled' or 'real'");
  }
  const skip = new Set<string>(options.skip ?? []);
  for (const name of skip) {
    if (!(conformanceGroups as readonly string[]).includes(name)) {
      throw new TypeError(`runStoreConformance: unknown group ${JSON.stringify(name)} in skip`);
    }
  }
  const resolved = suite(options, {
    test: (name, fn, timeout = defaultTimeoutMs) => options.test(name, fn, timeout),
    expect: options.expect,
    timeMode,
    concurrency: positiveInteger(options.concurrency, 50, 2, 'concurrency'),
    modelRuns: positiveInteger(options.modelRuns, 200, 1, 'modelRuns'),
  });

  options.describe(`GrantStore conformance: ${options.name ?? 'GrantStore'} (${timeMode} time)`, () => {
    for (const group of conformanceGroups) {
      if (!skip.has(group)) options.describe(group, () => register[group](resolved));
    }
  });
}

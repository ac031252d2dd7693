import { type Clock, type GrantStore, systemClock } from '@kraikub/core';
import { FakeClock } from '../clock.ts';
import type { StoreConformanceOptions, SuiteExpect, SuiteTest, TimeMode } from '../conformance.ts';
import { type Fixtures, fixtures } from './fixtures.ts';

/** Real mode: how long a record meant to expire lives, and how far past its expiry the suite waits. */
const realShortTtlMs = 1_000;
const realMarginMs = 150;
/** Controlled mode: a code's default lifetime. */
const controlledShortTtlMs = 60_000;
/** Records that must outlive a test (and not pile up in a real backend for long). */
const longTtlMs = 10 * 60_000;

/** How a test moves through time: by hand (controlled) or by waiting (real). */
export interface Timeline {
  readonly mode: TimeMode;
  readonly clock: Clock;
  /** The clock the suite moves, in controlled mode. */
  readonly fake: FakeClock | undefined;
  /** Lifetime of records a test waits out. */
  readonly shortTtl: number;
  /** Lifetime of records that must outlive a test. */
  readonly longTtl: number;
  now(): number;
  /**
   * Controlled: sets the clock to exactly `at` (a record whose `expiresAt` is
   * `at` has expired then). Real: waits until `at` has safely passed.
   */
  reach(at: number): Promise<void>;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

function timeline(mode: TimeMode): Timeline {
  if (mode === 'controlled') {
    const fake = new FakeClock();
    return {
      mode,
      clock: fake,
      fake,
      shortTtl: controlledShortTtlMs,
      longTtl: longTtlMs,
      now: () => fake.now(),
      reach: async (at) => {
        if (at > fake.now()) fake.set(at);
      },
    };
  }
  return {
    mode,
    clock: systemClock,
    fake: undefined,
    shortTtl: realShortTtlMs,
    longTtl: longTtlMs,
    now: () => systemClock.now(),
    reach: async (at) => {
      const wait = at + realMarginMs - systemClock.now();
      if (wait > 0) await sleep(wait);
    },
  };
}

/** One store under test, with its time and record builders. */
export interface Harness {
  readonly store: GrantStore;
  readonly inspect: (() => Promise<string> | string) | undefined;
  readonly time: Timeline;
  readonly fx: Fixtures;
}

/** What every group needs: the runner's functions and the resolved options. */
export interface Suite {
  readonly test: SuiteTest;
  readonly expect: SuiteExpect;
  readonly timeMode: TimeMode;
  readonly concurrency: number;
  readonly modelRuns: number;
  /** A fresh store with a fresh clock; its `close` must be called. */
  readonly open: () => Promise<OpenHarness>;
  /** Opens a fresh store, runs `body`, closes the store (also on failure). */
  readonly withStore: (body: (harness: Harness) => Promise<void>) => () => Promise<void>;
}

/** A harness to close when done. */
export interface OpenHarness extends Harness {
  close(): Promise<void>;
}

async function openStore(
  createStore: StoreConformanceOptions['createStore'],
  mode: TimeMode,
): Promise<OpenHarness> {
  const time = timeline(mode);
  const sut = await createStore({ clock: time.clock });
  if (typeof sut?.store?.consumeCode !== 'function') {
    throw new TypeError('runStoreConformance: createStore must return { store: GrantStore }');
  }
  return {
    store: sut.store,
    inspect: sut.inspect === undefined ? undefined : () => sut.inspect?.() ?? '',
    time,
    fx: fixtures(time),
    close: async () => {
      await sut.close?.();
    },
  };
}

export function suite(options: StoreConformanceOptions, resolved: Omit<Suite, 'open' | 'withStore'>): Suite {
  const open = () => openStore(options.createStore, resolved.timeMode);
  return {
    ...resolved,
    open,
    withStore: (body) => async () => {
      const harness = await open();
      try {
        await body(harness);
      } finally {
        await harness.close();
      }
    },
  };
}

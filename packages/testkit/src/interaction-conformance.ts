import { type Clock, type InteractionRecord, type InteractionStore, systemClock } from '@kraikub/core';
import { FakeClock } from './clock.ts';
import type { SuiteDescribe, SuiteExpect, SuiteTest, TimeMode } from './conformance.ts';

/** An interaction store to test, and how to tear it down. */
export interface InteractionStoreUnderTest {
  readonly store: InteractionStore;
  readonly close?: () => Promise<void> | void;
}

/** Options of {@link runInteractionStoreConformance}. */
export interface InteractionStoreConformanceOptions {
  /** A fresh, empty store for one test; it must judge expiry by `context.clock`. */
  readonly createStore: (context: {
    readonly clock: Clock;
  }) => Promise<InteractionStoreUnderTest> | InteractionStoreUnderTest;
  readonly describe: SuiteDescribe;
  readonly test: SuiteTest;
  readonly expect: SuiteExpect;
  /** Shown in the outer `describe`. Default `InteractionStore`. */
  readonly name?: string;
  /** `controlled` (a fake clock) or `real` (records live about 1 s and the suite waits). Default `controlled`. */
  readonly timeMode?: TimeMode;
  /** Parallel `takeInteraction` calls in the race test. Default 50. */
  readonly concurrency?: number;
}

const sampleRequest = {
  responseType: 'code',
  client: { id: 'client-1', name: 'Client One', confidential: true },
  redirectUri: 'https://client.example/cb?x=1',
  redirectUriProvided: true,
  scopes: ['profile', 'email'],
  state: 'state &=+ % é',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  codeChallengeMethod: 'S256',
} as const;

let counter = 0;
/** A key shaped like the SHA-256 base64url keys `createInteractions` uses, unique per call. */
function freshKey(): string {
  counter += 1;
  return `${`k${counter}_${Math.random().toString(36).slice(2)}`.padEnd(43, 'x').slice(0, 43)}`;
}

/**
 * Registers the {@link InteractionStore} contract with your test runner:
 * records round-trip unchanged, `findInteraction` does not consume,
 * `takeInteraction` returns a record at most once (also under N parallel
 * calls), and nothing expired is returned.
 *
 * @example
 * ```ts
 * import { runInteractionStoreConformance } from '@kraikub/testkit';
 * import { describe, expect, test } from 'vitest';
 *
 * runInteractionStoreConformance({
 *   describe, test, expect,
 *   createStore: ({ clock }) => ({ store: new MyInteractionStore({ clock }) }),
 * });
 * ```
 */
export function runInteractionStoreConformance(options: InteractionStoreConformanceOptions): void {
  const { describe, test, expect } = options;
  const real = (options.timeMode ?? 'controlled') === 'real';
  const concurrency = options.concurrency ?? 50;

  async function withStore(
    body: (store: InteractionStore, clock: Clock & { advance(ms: number): Promise<void> }) => Promise<void>,
  ) {
    const fake = new FakeClock();
    const clock = real
      ? {
          now: () => systemClock.now(),
          advance: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
        }
      : {
          now: () => fake.now(),
          advance: async (ms: number) => {
            fake.advance(ms);
          },
        };
    const under = await options.createStore({ clock: real ? systemClock : fake });
    try {
      await body(under.store, clock);
    } finally {
      await under.close?.();
    }
  }

  const record = (clock: Clock, lifetimeMs: number): InteractionRecord => ({
    request: sampleRequest,
    createdAt: clock.now(),
    expiresAt: clock.now() + lifetimeMs,
  });

  describe(options.name ?? 'InteractionStore', () => {
    test('a saved interaction round-trips unchanged; find does not consume it', () =>
      withStore(async (store, clock) => {
        const key = freshKey();
        const saved = record(clock, 60_000);
        await store.saveInteraction(key, saved);
        expect(await store.findInteraction(key)).toEqual(saved);
        expect(await store.findInteraction(key)).toEqual(saved);
        expect(await store.findInteraction(freshKey())).toBeUndefined();
      }));

    test('takeInteraction returns it once, then never again', () =>
      withStore(async (store, clock) => {
        const key = freshKey();
        const saved = record(clock, 60_000);
        await store.saveInteraction(key, saved);
        expect(await store.takeInteraction(key)).toEqual(saved);
        expect(await store.takeInteraction(key)).toBeUndefined();
        expect(await store.findInteraction(key)).toBeUndefined();
      }));

    test(`${concurrency} parallel takes of one interaction: exactly one gets it`, () =>
      withStore(async (store, clock) => {
        const key = freshKey();
        await store.saveInteraction(key, record(clock, 60_000));
        const taken = await Promise.all(
          Array.from({ length: concurrency }, () => store.takeInteraction(key)),
        );
        expect(taken.filter((value) => value !== undefined).length, 'winners').toBe(1);
      }));

    test(
      'an expired interaction is neither found nor taken',
      () =>
        withStore(async (store, clock) => {
          const key = freshKey();
          const lifetime = real ? 1_000 : 5_000;
          await store.saveInteraction(key, record(clock, lifetime));
          await clock.advance(lifetime + (real ? 150 : 0));
          expect(await store.findInteraction(key)).toBeUndefined();
          expect(await store.takeInteraction(key)).toBeUndefined();
        }),
      real ? 10_000 : 5_000,
    );
  });
}

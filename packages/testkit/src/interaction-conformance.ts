import {
  type Clock,
  type InteractionLimits,
  type InteractionRecord,
  type InteractionStore,
  systemClock,
} from '@kraikub/core';
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
  /** Parallel `consumeInteraction` (and capped `saveInteraction`) calls in the race tests. Default 50. */
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

/** Two sources as `createInteractions` gives them: digests, base64url. */
const sourceA = 'c291cmNlLUEtZGlnZXN0LXNoYXBlZC1saWtlLXNoYTI1Ng';
const sourceB = 'c291cmNlLUItZGlnZXN0LXNoYXBlZC1saWtlLXNoYTI1Ng';

let counter = 0;
/** A key shaped like the SHA-256 base64url keys `createInteractions` uses, unique per call. */
function freshKey(): string {
  counter += 1;
  return `${`k${counter}_${Math.random().toString(36).slice(2)}`.padEnd(43, 'x').slice(0, 43)}`;
}

/**
 * Registers the {@link InteractionStore} contract with your test runner:
 * records round-trip unchanged, `findInteraction` does not consume,
 * `consumeInteraction` returns a record at most once (also under N parallel
 * calls), nothing expired is returned, and the caps on pending interactions
 * hold: total and per source, under N parallel saves, freed by consuming
 * and by expiry.
 *
 * @example
 * ```ts
 * import { MemoryInteractionStore } from '@kraikub/adapter-memory';
 * import { runInteractionStoreConformance } from '@kraikub/testkit';
 * import { describe, expect, test } from 'vitest';
 *
 * runInteractionStoreConformance({
 *   describe, test, expect,
 *   createStore: ({ clock }) => ({ store: new MemoryInteractionStore({ clock }) }),
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

  const record = (clock: Clock, lifetimeMs: number, source?: string): InteractionRecord => ({
    request: sampleRequest,
    createdAt: clock.now(),
    expiresAt: clock.now() + lifetimeMs,
    ...(source === undefined ? {} : { source }),
  });
  /** Caps no test of the basic contract comes near. */
  const roomy: InteractionLimits = { total: 1_000_000, perSource: 1_000_000 };

  describe(options.name ?? 'InteractionStore', () => {
    test('a saved interaction round-trips unchanged; find does not consume it', () =>
      withStore(async (store, clock) => {
        const key = freshKey();
        const saved = record(clock, 60_000, sourceA);
        expect(await store.saveInteraction(key, saved, roomy)).toEqual({ status: 'saved' });
        expect(await store.findInteraction(key)).toEqual(saved);
        expect(await store.findInteraction(key)).toEqual(saved);
        expect(await store.findInteraction(freshKey())).toBeUndefined();
      }));

    test('consumeInteraction returns it once, then never again', () =>
      withStore(async (store, clock) => {
        const key = freshKey();
        const saved = record(clock, 60_000);
        await store.saveInteraction(key, saved, roomy);
        expect(await store.consumeInteraction(key)).toEqual(saved);
        expect(await store.consumeInteraction(key)).toBeUndefined();
        expect(await store.findInteraction(key)).toBeUndefined();
      }));

    test(`${concurrency} parallel consumptions of one interaction: exactly one gets it`, () =>
      withStore(async (store, clock) => {
        const key = freshKey();
        await store.saveInteraction(key, record(clock, 60_000), roomy);
        const taken = await Promise.all(
          Array.from({ length: concurrency }, () => store.consumeInteraction(key)),
        );
        expect(taken.filter((value) => value !== undefined).length, 'winners').toBe(1);
      }));

    test(
      'an expired interaction is neither found nor consumed',
      () =>
        withStore(async (store, clock) => {
          const key = freshKey();
          const lifetime = real ? 1_000 : 5_000;
          await store.saveInteraction(key, record(clock, lifetime), roomy);
          await clock.advance(lifetime + (real ? 150 : 0));
          expect(await store.findInteraction(key)).toBeUndefined();
          expect(await store.consumeInteraction(key)).toBeUndefined();
        }),
      real ? 10_000 : 5_000,
    );

    test('the total cap: the next save is refused and stores nothing; consuming one frees a place', () =>
      withStore(async (store, clock) => {
        const limits = { total: 3, perSource: 100 };
        const keys = [freshKey(), freshKey(), freshKey()];
        for (const key of keys) {
          expect(await store.saveInteraction(key, record(clock, 60_000), limits)).toEqual({
            status: 'saved',
          });
        }
        const refused = freshKey();
        expect(await store.saveInteraction(refused, record(clock, 60_000), limits)).toEqual({
          status: 'limited',
          limit: 'total',
        });
        expect(await store.findInteraction(refused), 'a refused save stores nothing').toBeUndefined();
        await store.consumeInteraction(keys[0] as string);
        expect(await store.saveInteraction(freshKey(), record(clock, 60_000), limits)).toEqual({
          status: 'saved',
        });
      }));

    test('the per-source cap counts one source only; other sources and sourceless saves go on', () =>
      withStore(async (store, clock) => {
        const limits = { total: 100, perSource: 2 };
        const first = freshKey();
        await store.saveInteraction(first, record(clock, 60_000, sourceA), limits);
        await store.saveInteraction(freshKey(), record(clock, 60_000, sourceA), limits);
        expect(await store.saveInteraction(freshKey(), record(clock, 60_000, sourceA), limits)).toEqual({
          status: 'limited',
          limit: 'source',
        });
        expect(await store.saveInteraction(freshKey(), record(clock, 60_000, sourceB), limits)).toEqual({
          status: 'saved',
        });
        expect(await store.saveInteraction(freshKey(), record(clock, 60_000), limits)).toEqual({
          status: 'saved',
        });
        await store.consumeInteraction(first);
        expect(await store.saveInteraction(freshKey(), record(clock, 60_000, sourceA), limits)).toEqual({
          status: 'saved',
        });
      }));

    test(
      'expired interactions free their places',
      () =>
        withStore(async (store, clock) => {
          const limits = { total: 2, perSource: 1 };
          const lifetime = real ? 1_000 : 5_000;
          await store.saveInteraction(freshKey(), record(clock, lifetime, sourceA), limits);
          await store.saveInteraction(freshKey(), record(clock, lifetime, sourceB), limits);
          expect((await store.saveInteraction(freshKey(), record(clock, 60_000), limits)).status).toBe(
            'limited',
          );
          await clock.advance(lifetime + (real ? 150 : 0));
          expect(await store.saveInteraction(freshKey(), record(clock, 60_000, sourceA), limits)).toEqual({
            status: 'saved',
          });
        }),
      real ? 10_000 : 5_000,
    );

    test(`${concurrency} parallel saves against a cap of 5: exactly 5 are stored`, () =>
      withStore(async (store, clock) => {
        const limits = { total: 5, perSource: 100 };
        const keys = Array.from({ length: concurrency }, () => freshKey());
        const results = await Promise.all(
          keys.map((key) => store.saveInteraction(key, record(clock, 60_000, sourceA), limits)),
        );
        expect(results.filter((result) => result.status === 'saved').length, 'saved').toBe(5);
        const found = await Promise.all(keys.map((key) => store.findInteraction(key)));
        expect(found.filter((value) => value !== undefined).length, 'stored').toBe(5);
      }));
  });
}

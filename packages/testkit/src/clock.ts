import type { Clock } from '@kraikub/core';

/** 2030-01-01T00:00:00Z: a fixed start, so runs are reproducible and far from 0. */
const defaultStart = Date.UTC(2030, 0, 1);

function checkTime(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new TypeError(`FakeClock: ${what} must be a finite number of ms`);
}

/**
 * A {@link Clock} that moves only when told to: inject it into a store or
 * into `createAuthorizationServer` and drive expiry by hand.
 *
 * The conformance suite gives every store it creates a fresh `FakeClock` in
 * `controlled` time mode.
 *
 * @example
 * ```ts
 * import { MemoryGrantStore } from '@kraikub/adapter-memory';
 * import { FakeClock } from '@kraikub/testkit';
 * const clock = new FakeClock();
 * const store = new MemoryGrantStore({ clock });
 * clock.advance(60_000); // a 60 s code has now expired
 * ```
 */
export class FakeClock implements Clock {
  #now: number;

  /** @param startMs - the initial time, ms since the Unix epoch. Default: 2030-01-01T00:00:00Z. */
  constructor(startMs: number = defaultStart) {
    checkTime(startMs, 'startMs');
    this.#now = startMs;
  }

  /** The current fake time, ms since the Unix epoch. */
  now(): number {
    return this.#now;
  }

  /**
   * Moves time forward by `ms` (0 allowed) and returns the new time.
   * Time never runs backwards through `advance`: a negative `ms` is a `TypeError`.
   */
  advance(ms: number): number {
    checkTime(ms, 'advance(ms)');
    if (ms < 0) throw new TypeError('FakeClock: advance(ms) cannot go backwards; use set()');
    this.#now += ms;
    return this.#now;
  }

  /** Sets the time to `ms` (ms since the Unix epoch), forwards or backwards. */
  set(ms: number): void {
    checkTime(ms, 'set(ms)');
    this.#now = ms;
  }
}

import type { Clock } from './ports.ts';

/**
 * The default {@link Clock}: `Date.now()`.
 *
 * @example
 * ```ts
 * import { systemClock } from '@kraikub/core';
 * const issuedAt = systemClock.now();
 * ```
 */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Time limits: racing a promise against a timer, and checking the
 * millisecond options they come from.
 *
 * @module
 */

/** What {@link withTimeout} resolves with when the time ran out first. */
export const timedOut: unique symbol = Symbol('timedOut');

/**
 * Races `pending` against a timer of `ms` milliseconds, and clears the timer
 * however the race ends: what `pending` resolves with, or {@link timedOut}.
 * Rejects when `pending` rejects first.
 */
export async function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), ms);
  });
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A duration option: `value`, or `fallback` when it is not given; throws a
 * `TypeError` naming the option unless the result is a positive, finite number.
 */
export function positiveMs(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (typeof result !== 'number' || !Number.isFinite(result) || result <= 0) {
    throw new TypeError(`adapter-postgres: ${name} must be a positive number of milliseconds`);
  }
  return result;
}

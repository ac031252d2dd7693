/**
 * Time limits: racing a promise against a timer, and checking the
 * millisecond options they come from.
 *
 * @module
 */

/**
 * What {@link withTimeout} resolves with when the time ran out first.
 *
 * @example
 * ```ts
 * import type { RedisClientLike } from '@kraikub/adapter-redis';
 * // Internal, from this module:
 * declare const timedOut: unique symbol;
 * declare function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T | typeof timedOut>;
 * declare const client: RedisClientLike;
 * if ((await withTimeout(client.close(), 1000)) === timedOut) client.destroy();
 * ```
 */
export const timedOut: unique symbol = Symbol('timedOut');

/**
 * Races `pending` against a timer of `ms` milliseconds, and clears the timer
 * however the race ends. Resolves with what `pending` resolves with, or with
 * {@link timedOut} when the timer fires first (after which `onTimeout`, if
 * given, runs: the race is already decided, so nothing it causes to
 * `pending` can change the outcome). Rejects when `pending` rejects first.
 *
 * @example
 * ```ts
 * // Internal, from this module; and a command that can be aborted:
 * declare const timedOut: unique symbol;
 * declare function withTimeout<T>(
 *   pending: Promise<T>,
 *   ms: number,
 *   onTimeout?: () => void,
 * ): Promise<T | typeof timedOut>;
 * declare function send(signal: AbortSignal): Promise<string>;
 * const controller = new AbortController();
 * const reply = await withTimeout(send(controller.signal), 500, () => controller.abort());
 * if (reply === timedOut) throw new Error('timed out');
 * ```
 */
export async function withTimeout<T>(
  pending: Promise<T>,
  ms: number,
  onTimeout?: () => void,
): Promise<T | typeof timedOut> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => {
      resolve(timedOut);
      onTimeout?.();
    }, ms);
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
 *
 * @example
 * ```ts
 * import type { RedisConnectionOptions } from '@kraikub/adapter-redis';
 * // Internal, from this module:
 * declare function positiveMs(value: number | undefined, fallback: number, name: string): number;
 * declare const options: RedisConnectionOptions;
 * const commandTimeoutMs = positiveMs(options.commandTimeoutMs, 1000, 'commandTimeoutMs');
 * ```
 */
export function positiveMs(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (typeof result !== 'number' || !Number.isFinite(result) || result <= 0) {
    throw new TypeError(`adapter-redis: ${name} must be a positive number of milliseconds`);
  }
  return result;
}

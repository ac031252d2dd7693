/**
 * The optional background sweep: an unref'd interval that never overlaps
 * itself and never throws (failures go to `onError`).
 *
 * @module
 */

/**
 * Options of a store's `sweep()`.
 *
 * @example
 * ```ts
 * import type { PostgresGrantStore, SweepOptions } from '@kraikub/adapter-postgres';
 * declare const grants: PostgresGrantStore;
 * const options: SweepOptions = { batchSize: 500, maxBatches: 20 };
 * await grants.sweep(options);
 * ```
 */
export interface SweepOptions {
  /** Most rows deleted per table by one statement. Default 1000. */
  readonly batchSize?: number;
  /** Most statements one call sends. Default: until nothing expired is left. */
  readonly maxBatches?: number;
}

export class Sweeper {
  readonly #timer: ReturnType<typeof setInterval> | undefined;
  #running = false;

  constructor(
    sweep: () => Promise<unknown>,
    options: {
      readonly sweepIntervalMs?: number;
      readonly sweepBatchSize?: number;
      readonly onError?: (error: Error) => void;
    },
  ) {
    const every = options.sweepIntervalMs;
    if (every === undefined) return;
    if (typeof every !== 'number' || !Number.isFinite(every) || every <= 0) {
      throw new TypeError('adapter-postgres: sweepIntervalMs must be a positive number of milliseconds');
    }
    Sweeper.limits({ batchSize: options.sweepBatchSize ?? 1000 });
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = true;
      sweep()
        .catch((error: unknown) =>
          options.onError?.(error instanceof Error ? error : new Error(String(error))),
        )
        .finally(() => {
          this.#running = false;
        });
    }, every);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** The checked limits of a sweep. */
  static limits(options: SweepOptions): { batchSize: number; maxBatches: number } {
    const batchSize = options.batchSize ?? 1000;
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new TypeError('adapter-postgres: sweep batchSize must be an integer >= 1');
    }
    if (maxBatches !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxBatches) || maxBatches < 1)) {
      throw new TypeError('adapter-postgres: sweep maxBatches must be an integer >= 1');
    }
    return { batchSize, maxBatches };
  }
}

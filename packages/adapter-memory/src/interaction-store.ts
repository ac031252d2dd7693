import { type Clock, type InteractionRecord, type InteractionStore, systemClock } from '@kraikub/core';

/**
 * An {@link InteractionStore} in memory: pending authorization requests
 * while the user logs in. `takeInteraction` is atomic (no `await` between
 * read and delete). Expired entries are swept as new ones are saved.
 *
 * @example
 * ```ts
 * const handler = createHandler(server, { interactions: new MemoryInteractionStore(), interact });
 * ```
 */
export class MemoryInteractionStore implements InteractionStore {
  readonly #clock: Clock;
  readonly #records = new Map<string, InteractionRecord>();
  #nextSweepAt = 0;

  constructor(options: { readonly clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async saveInteraction(key: string, record: InteractionRecord): Promise<void> {
    const now = this.#clock.now();
    if (now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + 30_000;
      for (const [k, r] of this.#records) if (r.expiresAt <= now) this.#records.delete(k);
    }
    this.#records.set(key, record);
  }

  async findInteraction(key: string): Promise<InteractionRecord | undefined> {
    const record = this.#records.get(key);
    return record !== undefined && record.expiresAt > this.#clock.now() ? record : undefined;
  }

  async takeInteraction(key: string): Promise<InteractionRecord | undefined> {
    const record = this.#records.get(key);
    this.#records.delete(key);
    return record !== undefined && record.expiresAt > this.#clock.now() ? record : undefined;
  }

  /** How many interactions are held. */
  get size(): number {
    return this.#records.size;
  }
}

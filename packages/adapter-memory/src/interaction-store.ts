import {
  type Clock,
  type InteractionLimits,
  type InteractionRecord,
  type InteractionStore,
  type SaveInteractionResult,
  systemClock,
} from '@kraikub/core';

/**
 * An {@link InteractionStore} in memory: pending authorization requests
 * while the user logs in. Every operation reads and writes with no `await`
 * in between, so saves under the caps and `consumeInteraction` are atomic.
 *
 * Expired entries are dropped from the front of the map (insertion order is
 * expiry order when every interaction has the same lifetime) before each
 * save, a few at a time: no pass over the whole store ever runs.
 *
 * @example
 * ```ts
 * import { createInteractions } from '@kraikub/adapter-http';
 * import { MemoryInteractionStore } from '@kraikub/adapter-memory';
 * import type { AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 * const interactions = createInteractions(server, { store: new MemoryInteractionStore() });
 * ```
 */
export class MemoryInteractionStore implements InteractionStore {
  readonly #clock: Clock;
  readonly #records = new Map<string, InteractionRecord>();
  /** Pending interactions per source. */
  readonly #perSource = new Map<string, number>();

  constructor(options: { readonly clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async saveInteraction(
    key: string,
    record: InteractionRecord,
    limits: InteractionLimits,
  ): Promise<SaveInteractionResult> {
    const now = this.#clock.now();
    this.#dropExpired(now);
    if (this.#records.has(key)) this.#delete(key);
    if (this.#records.size >= limits.total) return { status: 'limited', limit: 'total' };
    const source = record.source;
    if (source !== undefined && (this.#perSource.get(source) ?? 0) >= limits.perSource) {
      return { status: 'limited', limit: 'source' };
    }
    this.#records.set(key, record);
    if (source !== undefined) this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    return { status: 'saved' };
  }

  async findInteraction(key: string): Promise<InteractionRecord | undefined> {
    const record = this.#records.get(key);
    return record !== undefined && record.expiresAt > this.#clock.now() ? record : undefined;
  }

  async consumeInteraction(key: string): Promise<InteractionRecord | undefined> {
    const record = this.#records.get(key);
    if (record === undefined) return undefined;
    this.#delete(key);
    return record.expiresAt > this.#clock.now() ? record : undefined;
  }

  /** How many interactions are held. */
  get size(): number {
    return this.#records.size;
  }

  #delete(key: string): void {
    const record = this.#records.get(key);
    if (record === undefined) return;
    this.#records.delete(key);
    const source = record.source;
    if (source === undefined) return;
    const left = (this.#perSource.get(source) ?? 1) - 1;
    if (left <= 0) this.#perSource.delete(source);
    else this.#perSource.set(source, left);
  }

  /**
   * Drops expired interactions from the oldest on, stopping at the first
   * live one. With mixed lifetimes a short-lived one behind a long-lived one
   * waits for it; it is still never returned, and it counts against the caps
   * only until the one in front expires.
   */
  #dropExpired(now: number): void {
    for (const [key, record] of this.#records) {
      if (record.expiresAt > now) return;
      this.#delete(key);
    }
  }
}

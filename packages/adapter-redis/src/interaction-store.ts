import { type Clock, type InteractionRecord, type InteractionStore, systemClock } from '@kraikub/core';
import type { RedisConnection } from './connection.ts';
import { asText, CorruptRecordError, expiryMs } from './lib/envelope.ts';
import { checkPrefix } from './lib/keys.ts';

/**
 * Options of {@link RedisInteractionStore}.
 *
 * @example
 * ```ts
 * new RedisInteractionStore({ connection, prefix: 'id.example.com:' });
 * ```
 */
export interface RedisInteractionStoreOptions {
  /** The Redis (single node or Cluster) to use; see {@link connectRedis}. */
  readonly connection: RedisConnection;
  /** Prefix of every key (no `{` or `}`). Default `kraikub:`. */
  readonly prefix?: string;
  /** The clock expiry is judged by, besides Redis' own `PXAT`. Default: `Date.now()`. */
  readonly clock?: Clock;
}

/**
 * An {@link InteractionStore} on Redis: pending authorization requests while
 * the user logs in, visible to every provider process. Keys are
 * `<prefix>interaction:<hash of the interaction id>` and expire with the
 * interaction (`PXAT`); `takeInteraction` is one `GETDEL`, so an interaction
 * completes at most once even when two processes race for it.
 *
 * @example
 * ```ts
 * const interactions = createInteractions(server, { store: new RedisInteractionStore({ connection }) });
 * ```
 */
export class RedisInteractionStore implements InteractionStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(options: RedisInteractionStoreOptions) {
    if (typeof options?.connection?.command !== 'function') {
      throw new TypeError('RedisInteractionStore: connection must be a RedisConnection (see connectRedis)');
    }
    this.#redis = options.connection;
    this.#prefix = checkPrefix(options.prefix ?? 'kraikub:', 'RedisInteractionStore');
    this.#clock = options.clock ?? systemClock;
  }

  async saveInteraction(key: string, record: InteractionRecord): Promise<void> {
    const at = expiryMs(record.expiresAt, 'saveInteraction');
    if (at <= this.#clock.now()) return;
    const name = this.#key(key);
    await this.#redis.command(['SET', name, JSON.stringify(record), 'PXAT', String(at)], { key: name });
  }

  async findInteraction(key: string): Promise<InteractionRecord | undefined> {
    const name = this.#key(key);
    return this.#live(await this.#redis.command(['GET', name], { key: name, readOnly: true }));
  }

  async takeInteraction(key: string): Promise<InteractionRecord | undefined> {
    const name = this.#key(key);
    return this.#live(await this.#redis.command(['GETDEL', name], { key: name }));
  }

  #key(key: string): string {
    if (typeof key !== 'string' || key === '')
      throw new TypeError('RedisInteractionStore: key must be a string');
    return `${this.#prefix}interaction:${key}`;
  }

  #live(reply: unknown): InteractionRecord | undefined {
    const text = asText(reply);
    if (text === null) return undefined;
    let record: InteractionRecord;
    try {
      record = JSON.parse(text) as InteractionRecord;
    } catch {
      throw new CorruptRecordError('redis: a stored interaction is not valid JSON');
    }
    if (typeof record?.expiresAt !== 'number' || typeof record.request !== 'object') {
      throw new CorruptRecordError('redis: a stored interaction has an unknown format');
    }
    return record.expiresAt > this.#clock.now() ? record : undefined;
  }
}

import {
  type Clock,
  type InteractionLimits,
  type InteractionRecord,
  type InteractionStore,
  type SaveInteractionResult,
  systemClock,
} from '@kraikub/core';
import type { RedisConnection } from './connection.ts';
import { asText, CorruptRecordError, expiryMs } from './lib/envelope.ts';
import { checkPrefix } from './lib/keys.ts';
import { ConsumeInteractionReply, SaveInteractionReply, scriptReply } from './lib/replies.ts';
import { consumeInteractionScript, saveInteractionScript } from './lib/scripts.ts';

/**
 * Options of {@link RedisInteractionStore}.
 *
 * @example
 * ```ts
 * import { RedisInteractionStore, type RedisConnection } from '@kraikub/adapter-redis';
 * declare const connection: RedisConnection;
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

/** A source digest (what core's interactions put in `source`): base64url, no separator. */
const sourcePattern = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * An {@link InteractionStore} on Redis: pending authorization requests while
 * the user logs in, visible to every provider process.
 *
 * Keys share the hash tag `{interactions}`, so on a Cluster they live in one
 * slot and the caps hold exactly:
 *
 * ```text
 * <prefix>{interactions}:i:<hash>          a pending interaction (PXAT its expiry)
 * <prefix>{interactions}:pending           sorted set of pending ones, score = expiry
 * <prefix>{interactions}:source:<source>   the same, per source
 * ```
 *
 * Saving checks both caps and writes in one Lua script; consuming returns
 * and deletes the interaction and frees its places in one script, so an
 * interaction completes at most once even when two processes race for it.
 * Interactions are few and short-lived (bounded by the caps), so one slot
 * holds them all.
 *
 * @example
 * ```ts
 * import { createInteractions } from '@kraikub/adapter-http';
 * import { RedisInteractionStore, type RedisConnection } from '@kraikub/adapter-redis';
 * import type { AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 * declare const connection: RedisConnection;
 * const interactions = createInteractions(server, { store: new RedisInteractionStore({ connection }) });
 * ```
 */
export class RedisInteractionStore implements InteractionStore {
  readonly #redis: RedisConnection;
  readonly #base: string;
  readonly #pending: string;
  readonly #clock: Clock;

  constructor(options: RedisInteractionStoreOptions) {
    if (typeof options?.connection?.command !== 'function') {
      throw new TypeError('RedisInteractionStore: connection must be a RedisConnection (see connectRedis)');
    }
    this.#redis = options.connection;
    const prefix = checkPrefix(options.prefix ?? 'kraikub:', 'RedisInteractionStore');
    this.#base = `${prefix}{interactions}:`;
    this.#pending = `${this.#base}pending`;
    this.#clock = options.clock ?? systemClock;
  }

  async saveInteraction(
    key: string,
    record: InteractionRecord,
    limits: InteractionLimits,
  ): Promise<SaveInteractionResult> {
    const at = expiryMs(record.expiresAt, 'saveInteraction');
    const now = this.#clock.now();
    if (at <= now) return { status: 'saved' };
    const source = record.source;
    if (source !== undefined && !sourcePattern.test(source)) {
      throw new TypeError('RedisInteractionStore: source must be a digest (base64url)');
    }
    const reply = await this.#redis.runScript(
      saveInteractionScript,
      [this.#record(key), this.#pending, `${this.#base}source:${source ?? '-'}`],
      [
        String(now),
        String(at),
        `${source ?? '-'}:${JSON.stringify(record)}`,
        String(limits.total),
        String(limits.perSource),
        key,
        source === undefined ? '0' : '1',
      ],
    );
    const [status] = scriptReply(reply, 'saveInteraction');
    if (status === SaveInteractionReply.saved) return { status: 'saved' };
    if (status === SaveInteractionReply.totalLimited) return { status: 'limited', limit: 'total' };
    if (status === SaveInteractionReply.sourceLimited) return { status: 'limited', limit: 'source' };
    throw new CorruptRecordError('redis: saveInteraction: unexpected script reply');
  }

  async findInteraction(key: string): Promise<InteractionRecord | undefined> {
    const name = this.#record(key);
    const text = asText(await this.#redis.command(['GET', name], { key: name, readOnly: true }));
    return text === null ? undefined : this.#live(text.slice(text.indexOf(':') + 1));
  }

  async consumeInteraction(key: string): Promise<InteractionRecord | undefined> {
    const reply = await this.#redis.runScript(
      consumeInteractionScript,
      [this.#record(key), this.#pending],
      [key, `${this.#base}source:`],
    );
    const [status, value] = scriptReply(reply, 'consumeInteraction');
    if (status === ConsumeInteractionReply.notFound) return undefined;
    if (status !== ConsumeInteractionReply.consumed) {
      throw new CorruptRecordError('redis: consumeInteraction: unexpected script reply');
    }
    const text = asText(value);
    if (text === null) throw new CorruptRecordError('redis: consumeInteraction: unexpected script reply');
    return this.#live(text);
  }

  #record(key: string): string {
    if (typeof key !== 'string' || key === '')
      throw new TypeError('RedisInteractionStore: key must be a string');
    return `${this.#base}i:${key}`;
  }

  #live(json: string): InteractionRecord | undefined {
    let record: InteractionRecord;
    try {
      record = JSON.parse(json) as InteractionRecord;
    } catch {
      throw new CorruptRecordError('redis: a stored interaction is not valid JSON');
    }
    if (typeof record?.expiresAt !== 'number' || typeof record.request !== 'object') {
      throw new CorruptRecordError('redis: a stored interaction has an unknown format');
    }
    return record.expiresAt > this.#clock.now() ? record : undefined;
  }
}

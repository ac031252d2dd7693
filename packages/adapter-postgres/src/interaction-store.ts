import {
  type Clock,
  type InteractionLimits,
  type InteractionRecord,
  type InteractionStore,
  type SaveInteractionResult,
  systemClock,
} from '@kraikub/core';
import { Database, type PostgresConnectionOptions } from './lib/database.ts';
import { CorruptRecordError } from './lib/errors.ts';
import { expiryMs, nowMs, oneRow } from './lib/records.ts';
import { interactionStatements } from './lib/sql.ts';
import { Sweeper, type SweepOptions } from './lib/sweeper.ts';

/**
 * Options of {@link PostgresInteractionStore}.
 *
 * @example
 * ```ts
 * import { PostgresInteractionStore, type PostgresInteractionStoreOptions } from '@kraikub/adapter-postgres';
 * import pg from 'pg';
 * const options: PostgresInteractionStoreOptions = {
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
 *   sweepIntervalMs: 60_000,
 * };
 * const interactions = new PostgresInteractionStore(options);
 * ```
 */
export interface PostgresInteractionStoreOptions extends PostgresConnectionOptions {
  /** The clock expiry is judged by. Default: `Date.now()`. */
  readonly clock?: Clock;
  /** Sweep expired interactions every this many ms (an unref'd timer). Default: never. */
  readonly sweepIntervalMs?: number;
  /** Rows per statement of the background sweep. Default 1000. */
  readonly sweepBatchSize?: number;
}

/** A source digest (what `createInteractions` puts in `source`): base64url. */
const sourcePattern = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * An {@link InteractionStore} on PostgreSQL: pending authorization requests
 * while the user logs in, visible to every provider process.
 *
 * Saving checks both caps and inserts in one call of the function
 * `save_interaction` (installed by {@link migrate}); consuming deletes and
 * returns in one call of `consume_interaction`. Both first lock the single
 * row of `interaction_count`, so writers of interactions take turns and
 * the caps hold exactly under any concurrency; each statement inside then
 * sees what the previous writer committed. Expired interactions free their
 * places at the next save. Finding is a plain indexed `SELECT`.
 *
 * @example
 * ```ts
 * import { createInteractions } from '@kraikub/adapter-http';
 * import { PostgresInteractionStore } from '@kraikub/adapter-postgres';
 * import type { AuthorizationServer } from '@kraikub/core';
 * import pg from 'pg';
 * declare const server: AuthorizationServer;
 * declare const pool: pg.Pool;
 * const interactions = createInteractions(server, { store: new PostgresInteractionStore({ pool }) });
 * ```
 */
export class PostgresInteractionStore implements InteractionStore {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #sql: ReturnType<typeof interactionStatements>;
  readonly #sweeper: Sweeper;

  constructor(options: PostgresInteractionStoreOptions) {
    this.#db = new Database(options, 'PostgresInteractionStore');
    this.#clock = options.clock ?? systemClock;
    this.#sql = interactionStatements(this.#db.ident);
    this.#sweeper = new Sweeper(() => this.sweep({ batchSize: options.sweepBatchSize ?? 1000 }), options);
  }

  async saveInteraction(
    key: string,
    record: InteractionRecord,
    limits: InteractionLimits,
  ): Promise<SaveInteractionResult> {
    checkKey(key);
    const at = expiryMs(record.expiresAt, 'saveInteraction');
    const now = nowMs(this.#clock.now());
    // Already expired: nothing to keep (and nothing that could be found).
    if (at <= now) return { status: 'saved' };
    const source = record.source;
    if (source !== undefined && (typeof source !== 'string' || !sourcePattern.test(source))) {
      throw new TypeError('PostgresInteractionStore: source must be a digest (base64url)');
    }
    for (const [name, value] of [
      ['total', limits.total],
      ['perSource', limits.perSource],
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
        throw new TypeError(`PostgresInteractionStore: limits.${name} must be an integer >= 0`);
      }
    }
    const rows = await this.#db.run(this.#sql.save, [
      key,
      source ?? null,
      at,
      JSON.stringify(record),
      now,
      limits.total,
      limits.perSource,
    ]);
    const status = oneRow<{ status: unknown }>(rows, 'saveInteraction')?.status;
    if (status === 0) return { status: 'saved' };
    if (status === 1) return { status: 'limited', limit: 'total' };
    if (status === 2) return { status: 'limited', limit: 'source' };
    throw new CorruptRecordError('postgres: saveInteraction: unexpected result');
  }

  async findInteraction(key: string): Promise<InteractionRecord | undefined> {
    checkKey(key);
    const now = this.#clock.now();
    const rows = await this.#db.run(this.#sql.find, [key, nowMs(now)]);
    const row = oneRow<{ record: unknown }>(rows, 'findInteraction');
    return row === undefined ? undefined : live(row.record, now);
  }

  async consumeInteraction(key: string): Promise<InteractionRecord | undefined> {
    checkKey(key);
    const now = this.#clock.now();
    const rows = await this.#db.run(this.#sql.consume, [key, nowMs(now)]);
    const row = oneRow<{ record: unknown }>(rows, 'consumeInteraction');
    if (row === undefined) throw new CorruptRecordError('postgres: consumeInteraction: no result');
    return row.record === null ? undefined : live(row.record, now);
  }

  /**
   * Deletes expired interactions (and frees their places) in batches of at
   * most `batchSize`, until none is left or `maxBatches` were sent; how many
   * it deleted. Saves also free expired places, so this only keeps the
   * table small when few interactions start.
   *
   * @example
   * ```ts
   * import type { PostgresInteractionStore } from '@kraikub/adapter-postgres';
   * declare const interactions: PostgresInteractionStore;
   * const removed = await interactions.sweep({ batchSize: 1_000 });
   * ```
   */
  async sweep(
    options: SweepOptions = {},
  ): Promise<{ readonly interactions: number; readonly batches: number }> {
    const { batchSize, maxBatches } = Sweeper.limits(options);
    const now = nowMs(this.#clock.now());
    let interactions = 0;
    let batches = 0;
    for (let more = true; more && batches < maxBatches; ) {
      const removed = oneRow<{ removed: unknown }>(
        await this.#db.run(this.#sql.sweep, [now, batchSize]),
        'sweep',
      )?.removed;
      if (typeof removed !== 'number') throw new CorruptRecordError('postgres: sweep: unexpected result');
      batches += 1;
      interactions += removed;
      more = removed >= batchSize;
    }
    return { interactions, batches };
  }

  /**
   * Stops the background sweep, and ends the pool if the store created it.
   *
   * @example
   * ```ts
   * import type { PostgresInteractionStore } from '@kraikub/adapter-postgres';
   * declare const interactions: PostgresInteractionStore;
   * await interactions.close();
   * ```
   */
  async close(): Promise<void> {
    this.#sweeper.stop();
    await this.#db.close();
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '')
    throw new TypeError('PostgresInteractionStore: key must be a string');
}

function live(value: unknown, now: number): InteractionRecord | undefined {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { expiresAt?: unknown }).expiresAt !== 'number' ||
    typeof (value as { request?: unknown }).request !== 'object'
  ) {
    throw new CorruptRecordError('postgres: a stored interaction has an unknown format');
  }
  const record = value as InteractionRecord;
  return record.expiresAt > now ? record : undefined;
}

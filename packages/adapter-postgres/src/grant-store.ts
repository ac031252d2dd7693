import {
  type AccessTokenRecord,
  type Clock,
  type CodeRecord,
  type ConsumeCodeResult,
  type GrantStore,
  type IssueTokensResult,
  type RefreshRotation,
  type RefreshTokenRecord,
  type RotateRefreshTokenResult,
  type StoredCode,
  systemClock,
  type TokenIssue,
  type TokenKey,
} from '@kraikub/core';
import { Database, type PostgresConnectionOptions } from './lib/database.ts';
import { CorruptRecordError } from './lib/errors.ts';
import {
  checkGrantId,
  checkHash,
  expiryMs,
  grantRecord,
  nowMs,
  oneRow,
  tokenValues,
  withRotation,
} from './lib/records.ts';
import { grantStatements } from './lib/sql.ts';
import { Sweeper, type SweepOptions } from './lib/sweeper.ts';

/**
 * Options of {@link PostgresGrantStore}.
 *
 * @example
 * ```ts
 * import { PostgresGrantStore, type PostgresGrantStoreOptions } from '@kraikub/adapter-postgres';
 * import pg from 'pg';
 * const options: PostgresGrantStoreOptions = {
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
 *   schema: 'kraikub',
 *   sweepIntervalMs: 60_000,
 * };
 * const grants = new PostgresGrantStore(options);
 * ```
 */
export interface PostgresGrantStoreOptions extends PostgresConnectionOptions {
  /** The clock expiry is judged by (every statement compares with it). Default: `Date.now()`. */
  readonly clock?: Clock;
  /**
   * Sweep expired rows every this many ms, in the background (an unref'd
   * timer; `close()` stops it). Default: never; call {@link PostgresGrantStore.sweep}
   * from your scheduler instead, or as well.
   */
  readonly sweepIntervalMs?: number;
  /** Rows per table per statement of the background sweep. Default 1000. */
  readonly sweepBatchSize?: number;
}

/**
 * What {@link PostgresGrantStore.sweep} removed.
 *
 * @example
 * ```ts
 * import type { GrantSweepResult, PostgresGrantStore } from '@kraikub/adapter-postgres';
 * declare const grants: PostgresGrantStore;
 * const removed: GrantSweepResult = await grants.sweep({ batchSize: 500 });
 * console.log(`${removed.codes + removed.accessTokens + removed.refreshTokens} rows in ${removed.batches} batches`);
 * ```
 */
export interface GrantSweepResult {
  readonly codes: number;
  readonly accessTokens: number;
  readonly refreshTokens: number;
  /** Revocation tombstones past their retention. */
  readonly revokedGrants: number;
  /** Statements sent. */
  readonly batches: number;
}

const unexpected = (what: string): never => {
  throw new CorruptRecordError(`postgres: ${what}: unexpected result`);
};

/**
 * A {@link GrantStore} on PostgreSQL, for any number of provider processes
 * sharing one database.
 *
 * - Tables `codes`, `access_tokens`, `refresh_tokens` (keyed by the token's
 *   SHA-256, with the grant id, the expiry and the record as JSONB) and
 *   `revoked_grants` (tombstones), in `schema` (see {@link migrate}).
 * - Every atomic operation is one statement: `consumeCode` and
 *   `rotateRefreshToken` lock the row (`SELECT ... FOR UPDATE` in a CTE),
 *   update it only if it was unused, and insert the new tokens, all at once.
 * - A code exchange costs 2 round trips (`findCode`, `consumeCode`), a
 *   refresh 2 (`findRefreshToken`, `rotateRefreshToken`), an introspection 1.
 * - Nothing expired is returned (the statements compare with `clock`);
 *   {@link PostgresGrantStore.sweep} deletes expired rows in bounded batches.
 * - Failures reject with core's `StorageUnavailableError` (503) or an error
 *   core answers `server_error` (500): nothing is issued.
 *
 * @example
 * ```ts
 * import { migrate, PostgresGrantStore } from '@kraikub/adapter-postgres';
 * import type { AuthorizationServerConfigInput, ClientStore } from '@kraikub/core';
 * import { createAuthorizationServer } from '@kraikub/core';
 * import pg from 'pg';
 * declare const config: AuthorizationServerConfigInput;
 * declare const clients: ClientStore;
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
 * await migrate(pool);
 * const server = createAuthorizationServer({ config, clients, store: new PostgresGrantStore({ pool }) });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.5
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14
 */
export class PostgresGrantStore implements GrantStore {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #sql: ReturnType<typeof grantStatements>;
  readonly #sweeper: Sweeper;

  constructor(options: PostgresGrantStoreOptions) {
    this.#db = new Database(options, 'PostgresGrantStore');
    this.#clock = options.clock ?? systemClock;
    this.#sql = grantStatements(this.#db.ident);
    this.#sweeper = new Sweeper(() => this.sweep({ batchSize: options.sweepBatchSize ?? 1000 }), options);
  }

  /** The schema of the tables. */
  get schema(): string {
    return this.#db.schema;
  }

  async saveCode(key: TokenKey, record: CodeRecord): Promise<void> {
    const grantId = checkGrantId(key.grantId, 'saveCode');
    if (record.grantId !== grantId)
      throw new TypeError(`saveCode: the record must belong to grant ${grantId}`);
    await this.#db.run(this.#sql.saveCode, [
      checkHash(key.hash, 'saveCode'),
      grantId,
      expiryMs(record.expiresAt, 'saveCode'),
      JSON.stringify(record),
    ]);
  }

  async findCode(key: TokenKey): Promise<StoredCode | undefined> {
    const now = this.#clock.now();
    const rows = await this.#db.run(this.#sql.findCode, [key.hash, key.grantId, nowMs(now)]);
    const row = oneRow<{ consumed: unknown; record: unknown }>(rows, 'findCode');
    if (row === undefined) return undefined;
    const record = grantRecord<CodeRecord>(row.record, key.grantId, 'findCode');
    if (typeof row.consumed !== 'boolean') return unexpected('findCode');
    return record.expiresAt > now ? { record, consumed: row.consumed } : undefined;
  }

  async consumeCode(key: TokenKey, tokens: TokenIssue): Promise<ConsumeCodeResult> {
    const grantId = checkGrantId(key.grantId, 'consumeCode');
    const values = tokenValues(tokens, grantId, 'consumeCode');
    const rows = await this.#db.run(this.#sql.consumeCode, [
      checkHash(key.hash, 'consumeCode'),
      grantId,
      nowMs(this.#clock.now()),
      ...values,
    ]);
    const row = oneRow<{ consumed: unknown; record: unknown }>(rows, 'consumeCode');
    if (row === undefined) return { status: 'not_found' };
    if (row.consumed === true && row.record === null) return { status: 'replayed', grantId };
    if (row.consumed !== false || row.record === null) return unexpected('consumeCode');
    return { status: 'consumed', record: grantRecord<CodeRecord>(row.record, grantId, 'consumeCode') };
  }

  async issueTokens(issue: TokenIssue): Promise<IssueTokensResult> {
    const grantId = checkGrantId(issue.grantId, 'issueTokens');
    const values = tokenValues(issue, grantId, 'issueTokens');
    const rows = await this.#db.run(this.#sql.issueTokens, [grantId, ...values]);
    const row = oneRow<{ issued: unknown }>(rows, 'issueTokens');
    if (row?.issued === true) return { status: 'issued' };
    if (row?.issued === false) return { status: 'grant_revoked' };
    return unexpected('issueTokens');
  }

  async findAccessToken(key: TokenKey): Promise<AccessTokenRecord | undefined> {
    const now = this.#clock.now();
    const rows = await this.#db.run(this.#sql.findAccessToken, [key.hash, key.grantId, nowMs(now)]);
    const row = oneRow<{ record: unknown }>(rows, 'findAccessToken');
    if (row === undefined) return undefined;
    const record = grantRecord<AccessTokenRecord>(row.record, key.grantId, 'findAccessToken');
    return record.expiresAt > now ? record : undefined;
  }

  async findRefreshToken(key: TokenKey): Promise<RefreshTokenRecord | undefined> {
    const now = this.#clock.now();
    const rows = await this.#db.run(this.#sql.findRefreshToken, [key.hash, key.grantId, nowMs(now)]);
    const row = oneRow<{ record: unknown; rotation: unknown }>(rows, 'findRefreshToken');
    if (row === undefined) return undefined;
    const record = grantRecord<RefreshTokenRecord>(row.record, key.grantId, 'findRefreshToken');
    return record.expiresAt > now ? withRotation(record, row.rotation, 'findRefreshToken') : undefined;
  }

  async rotateRefreshToken(
    old: TokenKey,
    rotation: RefreshRotation,
    next: TokenIssue,
  ): Promise<RotateRefreshTokenResult> {
    const grantId = checkGrantId(old.grantId, 'rotateRefreshToken');
    const values = tokenValues(next, grantId, 'rotateRefreshToken');
    const rows = await this.#db.run(this.#sql.rotateRefreshToken, [
      checkHash(old.hash, 'rotateRefreshToken'),
      grantId,
      nowMs(this.#clock.now()),
      JSON.stringify(rotation),
      ...values,
    ]);
    const row = oneRow<{ rotated: unknown; record: unknown; rotation: unknown }>(rows, 'rotateRefreshToken');
    if (row === undefined) return { status: 'not_found' };
    if (row.rotated === true) return { status: 'rotated' };
    if (row.rotated !== false || row.rotation === null) return unexpected('rotateRefreshToken');
    const record = grantRecord<RefreshTokenRecord>(row.record, grantId, 'rotateRefreshToken');
    return { status: 'reused', record: withRotation(record, row.rotation, 'rotateRefreshToken') };
  }

  async revokeAccessToken(key: TokenKey): Promise<void> {
    await this.#db.run(this.#sql.revokeAccessToken, [key.hash, key.grantId]);
  }

  async revokeGrant(grantId: string, retainUntil: number): Promise<void> {
    await this.#db.run(this.#sql.revokeGrant, [
      checkGrantId(grantId, 'revokeGrant'),
      expiryMs(retainUntil, 'revokeGrant'),
    ]);
  }

  /**
   * Deletes expired codes, access and refresh tokens, and revocation
   * tombstones past their retention (with any record of their grant), in
   * batches of at most `batchSize` rows per table, one statement per batch,
   * until none is left (or `maxBatches` were sent). Live rows are never
   * touched; rows another sweep holds are skipped (`SKIP LOCKED`), so
   * several processes may sweep at once. Schedule it, or give the store
   * `sweepIntervalMs`.
   *
   * @example
   * ```ts
   * import type { PostgresGrantStore } from '@kraikub/adapter-postgres';
   * declare const grants: PostgresGrantStore;
   * setInterval(() => {
   *   grants.sweep({ batchSize: 1_000 }).catch((error: unknown) => console.warn('sweep failed', error));
   * }, 60_000).unref();
   * ```
   */
  async sweep(options: SweepOptions = {}): Promise<GrantSweepResult> {
    const { batchSize, maxBatches } = Sweeper.limits(options);
    const now = nowMs(this.#clock.now());
    let codes = 0;
    let accessTokens = 0;
    let refreshTokens = 0;
    let revokedGrants = 0;
    let batches = 0;
    for (let more = true; more && batches < maxBatches; ) {
      const row = oneRow<{ codes: number; access: number; refresh: number }>(
        await this.#db.run(this.#sql.sweepExpired, [now, batchSize]),
        'sweep',
      );
      if (row === undefined) return unexpected('sweep');
      batches += 1;
      codes += row.codes;
      accessTokens += row.access;
      refreshTokens += row.refresh;
      more = Math.max(row.codes, row.access, row.refresh) >= batchSize;
    }
    for (let more = true; more && batches < maxBatches; ) {
      const row = oneRow<{ grants: number; codes: number; access: number; refresh: number }>(
        await this.#db.run(this.#sql.sweepRevoked, [now, batchSize]),
        'sweep',
      );
      if (row === undefined) return unexpected('sweep');
      batches += 1;
      revokedGrants += row.grants;
      codes += row.codes;
      accessTokens += row.access;
      refreshTokens += row.refresh;
      more = row.grants >= batchSize;
    }
    return { codes, accessTokens, refreshTokens, revokedGrants, batches };
  }

  /**
   * Stops the background sweep, and ends the pool if the store created it
   * (from a connection string); a pool the host gave stays open.
   *
   * @example
   * ```ts
   * import type { PostgresGrantStore } from '@kraikub/adapter-postgres';
   * declare const grants: PostgresGrantStore;
   * process.on('SIGTERM', () => void grants.close());
   * ```
   */
  async close(): Promise<void> {
    this.#sweeper.stop();
    await this.#db.close();
  }
}

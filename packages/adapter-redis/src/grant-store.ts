import {
  type AccessTokenRecord,
  type Clock,
  type CodeRecord,
  type ConsumeCodeResult,
  type GrantRecordBase,
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
import type { RedisConnection } from './connection.ts';
import { asText, CorruptRecordError, decodeRecord, encodeRecord, expiryMs } from './lib/envelope.ts';
import { checkPrefix, type GrantKeys, grantKeys, isRoutableGrantId, type RecordKind } from './lib/keys.ts';
import {
  ConsumeCodeReply,
  IssueTokensReply,
  RevokeGrantReply,
  RotateRefreshTokenReply,
  SaveCodeReply,
  scriptReply,
} from './lib/replies.ts';
import {
  consumeCodeScript,
  issueTokensScript,
  revokeAccessTokenScript,
  revokeGrantScript,
  rotateRefreshTokenScript,
  saveCodeScript,
} from './lib/scripts.ts';

/**
 * Options of {@link RedisGrantStore}.
 *
 * @example
 * ```ts
 * import { type RedisConnection, RedisGrantStore } from '@kraikub/adapter-redis';
 * declare const connection: RedisConnection;
 * const store = new RedisGrantStore({ connection, prefix: 'id.example.com:' });
 * ```
 */
export interface RedisGrantStoreOptions {
  /** The Redis (single node or Cluster) to use; see {@link connectRedis}. */
  readonly connection: RedisConnection;
  /** Prefix of every key (no `{` or `}`). Default `kraikub:`. */
  readonly prefix?: string;
  /**
   * The clock expiry is judged by, besides Redis' own `PXAT`: a record is
   * gone once either says so. Default: `Date.now()`.
   */
  readonly clock?: Clock;
}

/** Keys and values of the scripts' token writes. */
interface Writes {
  readonly keys: string[];
  readonly args: string[];
}

function unexpected(what: string, status: number): never {
  throw new CorruptRecordError(`redis: ${what}: unexpected script status ${status}`);
}

/**
 * A {@link GrantStore} on Redis or Redis Cluster, for several provider
 * processes sharing one state.
 *
 * - Every key of a grant carries the hash tag `{<grantId>}` (the grant id is
 *   the non-secret part of each token), so every operation touches one
 *   Cluster slot. Only SHA-256 hashes of tokens are stored.
 * - `consumeCode`, `rotateRefreshToken`, `issueTokens`, `revokeGrant` (and
 *   `saveCode`, `revokeAccessToken`) are Lua scripts: atomic, one round trip
 *   each. `findCode`, `findAccessToken` and `findRefreshToken` are one
 *   `MGET` of the record and the grant's revocation tombstone.
 * - Every key expires with its record (`PXAT`); `revokeGrant` deletes every
 *   key of the grant and keeps a tombstone until `retainUntil`.
 * - Failures reject with core's `StorageUnavailableError` (core answers
 *   `temporarily_unavailable`, 503) or an error core answers as
 *   `server_error`: an unexpected reply never issues a token.
 *
 * @example
 * ```ts
 * import { connectRedis, RedisGrantStore } from '@kraikub/adapter-redis';
 * import type { AuthorizationServerConfigInput, ClientStore } from '@kraikub/core';
 * import { createAuthorizationServer } from '@kraikub/core';
 * declare const config: AuthorizationServerConfigInput;
 * declare const clients: ClientStore;
 * const connection = await connectRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const server = createAuthorizationServer({ config, clients, store: new RedisGrantStore({ connection }) });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.5
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14
 */
export class RedisGrantStore implements GrantStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(options: RedisGrantStoreOptions) {
    if (typeof options?.connection?.runScript !== 'function') {
      throw new TypeError('RedisGrantStore: connection must be a RedisConnection (see connectRedis)');
    }
    this.#redis = options.connection;
    this.#prefix = checkPrefix(options.prefix ?? 'kraikub:', 'RedisGrantStore');
    this.#clock = options.clock ?? systemClock;
  }

  /** The key prefix. */
  get prefix(): string {
    return this.#prefix;
  }

  async saveCode(key: TokenKey, record: CodeRecord): Promise<void> {
    const keys = this.#keysFor(key.grantId, 'saveCode');
    const reply = await this.#redis.runScript(
      saveCodeScript,
      [keys.index, keys.record('c', key.hash)],
      [this.#now(), keys.member('c', key.hash), encodeRecord('0', record, 'saveCode'), this.#pxat(record)],
    );
    const [status] = scriptReply(reply, 'saveCode');
    if (status !== SaveCodeReply.saved) unexpected('saveCode', status);
  }

  async findCode(key: TokenKey): Promise<StoredCode | undefined> {
    const found = await this.#find<CodeRecord>('c', key);
    return found === undefined ? undefined : { record: found.record, consumed: found.state === '1' };
  }

  async consumeCode(key: TokenKey, tokens: TokenIssue): Promise<ConsumeCodeResult> {
    const keys = this.#keysFor(key.grantId, 'consumeCode');
    const writes = this.#writes(keys, tokens, key.grantId, 'consumeCode');
    const reply = await this.#redis.runScript(
      consumeCodeScript,
      [keys.record('c', key.hash), keys.revoked, keys.index, ...writes.keys],
      [this.#now(), ...writes.args],
    );
    const [status, body] = scriptReply(reply, 'consumeCode');
    if (status === ConsumeCodeReply.notFound) return { status: 'not_found' };
    if (status === ConsumeCodeReply.replayed) return { status: 'replayed', grantId: key.grantId };
    if (status !== ConsumeCodeReply.consumed) unexpected('consumeCode', status);
    const record = this.#parseBody<CodeRecord>(body, key, 'consumeCode');
    return { status: 'consumed', record };
  }

  async issueTokens(issue: TokenIssue): Promise<IssueTokensResult> {
    const keys = this.#keysFor(issue.grantId, 'issueTokens');
    const writes = this.#writes(keys, issue, issue.grantId, 'issueTokens');
    const reply = await this.#redis.runScript(
      issueTokensScript,
      [keys.revoked, keys.index, ...writes.keys],
      [this.#now(), ...writes.args],
    );
    const [status] = scriptReply(reply, 'issueTokens');
    if (status === IssueTokensReply.issued) return { status: 'issued' };
    if (status === IssueTokensReply.grantRevoked) return { status: 'grant_revoked' };
    return unexpected('issueTokens', status);
  }

  async findAccessToken(key: TokenKey): Promise<AccessTokenRecord | undefined> {
    return (await this.#find<AccessTokenRecord>('a', key))?.record;
  }

  async findRefreshToken(key: TokenKey): Promise<RefreshTokenRecord | undefined> {
    return (await this.#find<RefreshTokenRecord>('r', key))?.record;
  }

  async rotateRefreshToken(
    old: TokenKey,
    rotation: RefreshRotation,
    next: TokenIssue,
  ): Promise<RotateRefreshTokenResult> {
    const keys = this.#keysFor(old.grantId, 'rotateRefreshToken');
    const writes = this.#writes(keys, next, old.grantId, 'rotateRefreshToken');
    const reply = await this.#redis.runScript(
      rotateRefreshTokenScript,
      [keys.record('r', old.hash), keys.revoked, keys.index, ...writes.keys],
      [this.#now(), JSON.stringify(rotation), ...writes.args],
    );
    const [status, body] = scriptReply(reply, 'rotateRefreshToken');
    if (status === RotateRefreshTokenReply.rotated) return { status: 'rotated' };
    if (status === RotateRefreshTokenReply.notFound) return { status: 'not_found' };
    if (status !== RotateRefreshTokenReply.reused) unexpected('rotateRefreshToken', status);
    const record = this.#parseBody<RefreshTokenRecord>(body, old, 'rotateRefreshToken');
    if (record.rotation === undefined) throw new CorruptRecordError('redis: a reused token has no rotation');
    return { status: 'reused', record };
  }

  async revokeAccessToken(key: TokenKey): Promise<void> {
    if (!isRoutableGrantId(key.grantId)) return;
    const keys = grantKeys(this.#prefix, key.grantId);
    await this.#redis.runScript(
      revokeAccessTokenScript,
      [keys.record('a', key.hash), keys.index],
      [keys.member('a', key.hash)],
    );
  }

  async revokeGrant(grantId: string, retainUntil: number): Promise<void> {
    const keys = this.#keysFor(grantId, 'revokeGrant');
    const reply = await this.#redis.runScript(
      revokeGrantScript,
      [keys.revoked, keys.index],
      [this.#now(), String(expiryMs(retainUntil, 'revokeGrant')), keys.base],
    );
    const [status] = scriptReply(reply, 'revokeGrant');
    if (status !== RevokeGrantReply.revoked) unexpected('revokeGrant', status);
  }

  /**
   * Every grant key under this store's prefix (`<prefix>{...`) with its value
   * and remaining TTL, as JSON: for tests and inspection (a SCAN over every
   * master; never on a request path).
   *
   * @example
   * ```ts
   * import type { RedisGrantStore } from '@kraikub/adapter-redis';
   * declare const store: RedisGrantStore;
   * console.log(await store.dump());
   * ```
   */
  async dump(): Promise<string> {
    const entries: Record<string, { type: string; pttl: number; value: unknown }> = {};
    for (const key of (await this.#redis.scan(`${this.#prefix}{*`)).sort()) {
      const type = String(await this.#redis.command(['TYPE', key], { key, readOnly: true }));
      const pttl = Number(await this.#redis.command(['PTTL', key], { key, readOnly: true }));
      const read = type === 'zset' ? ['ZRANGE', key, '0', '-1', 'WITHSCORES'] : ['GET', key];
      const value = type === 'none' ? null : await this.#redis.command(read, { key, readOnly: true });
      entries[key] = { type, pttl, value };
    }
    return JSON.stringify(entries);
  }

  /**
   * Deletes every grant key under this store's prefix (a SCAN over every
   * master): for tests and maintenance. Returns how many keys were deleted.
   *
   * @example
   * ```ts
   * import type { RedisGrantStore } from '@kraikub/adapter-redis';
   * import { afterAll } from 'vitest';
   * declare const store: RedisGrantStore;
   * afterAll(() => store.deleteAll());
   * ```
   */
  async deleteAll(): Promise<number> {
    let deleted = 0;
    for (const key of await this.#redis.scan(`${this.#prefix}{*`)) {
      deleted += Number(await this.#redis.command(['UNLINK', key], { key }));
    }
    return deleted;
  }

  #now(): string {
    return String(this.#clock.now());
  }

  #pxat(record: GrantRecordBase): string {
    return String(expiryMs(record.expiresAt, 'record'));
  }

  #keysFor(grantId: string, what: string): GrantKeys {
    if (!isRoutableGrantId(grantId)) {
      throw new TypeError(`RedisGrantStore.${what}: grant id must be 1-128 characters of [A-Za-z0-9_.~-]`);
    }
    return grantKeys(this.#prefix, grantId);
  }

  /** The KEYS and ARGV triplets (member, value, expiry) that store an issue's tokens. */
  #writes(keys: GrantKeys, issue: TokenIssue, grantId: string, what: string): Writes {
    const records: [RecordKind, TokenKey, GrantRecordBase & { rotation?: unknown }][] = [
      ['a', issue.accessToken.key, issue.accessToken.record],
    ];
    if (issue.refreshToken !== undefined) {
      records.push(['r', issue.refreshToken.key, issue.refreshToken.record]);
    }
    const writes: Writes = { keys: [], args: [] };
    for (const [kind, key, record] of records) {
      // One grant, one slot: a token of another grant would be a cross-slot write.
      if (issue.grantId !== grantId || key.grantId !== grantId) {
        throw new TypeError(`RedisGrantStore.${what}: every token must belong to grant ${grantId}`);
      }
      const state = kind === 'r' && record.rotation !== undefined ? '1' : '0';
      writes.keys.push(keys.record(kind, key.hash));
      writes.args.push(keys.member(kind, key.hash), encodeRecord(state, record, what), this.#pxat(record));
    }
    return writes;
  }

  /** One round trip: the record and the grant's tombstone together (one slot). */
  async #find<R extends GrantRecordBase>(kind: RecordKind, key: TokenKey) {
    if (!isRoutableGrantId(key.grantId)) return undefined;
    const keys = grantKeys(this.#prefix, key.grantId);
    const recordKey = keys.record(kind, key.hash);
    const reply = await this.#redis.command(['MGET', recordKey, keys.revoked], {
      key: recordKey,
      readOnly: true,
    });
    if (!Array.isArray(reply) || reply.length !== 2) throw new CorruptRecordError('redis: MGET: bad reply');
    const value = asText(reply[0]);
    if (value === null || asText(reply[1]) !== null) return undefined;
    const found = decodeRecord<R>(value);
    if (found.record.grantId !== key.grantId || found.record.expiresAt <= this.#clock.now()) return undefined;
    return found;
  }

  #parseBody<R extends GrantRecordBase>(body: unknown, key: TokenKey, what: string): R {
    const text = asText(body);
    if (text === null) throw new CorruptRecordError(`redis: ${what}: the record is missing from the reply`);
    // The script returns the JSON part; the state and expiry prefix is checked there.
    const { record } = decodeRecord<R>(`0:0:${text}`);
    if (record.grantId !== key.grantId) throw new CorruptRecordError(`redis: ${what}: grant id mismatch`);
    return record;
  }
}

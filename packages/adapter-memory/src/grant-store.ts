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
import { ExpiryWheel } from './expiry-wheel.ts';
import { ShardedMap } from './sharded-map.ts';

/** Options of {@link MemoryGrantStore}. */
export interface MemoryGrantStoreOptions {
  /** The clock expiry is judged by; inject a fake one in tests. Default: `Date.now()`. */
  readonly clock?: Clock;
  /**
   * How late an expired record may be dropped, in ms of clock time: records
   * are filed by expiry in buckets this wide, and a bucket is swept once
   * all of it has expired. Default 30 000 (at least 1).
   */
  readonly sweepIntervalMs?: number;
  /**
   * Expired records a write drops, at most. Expired records are dropped in
   * slices of this size, one slice per write, so no operation holds the
   * event loop for long, however many expire at once. Default 64: about
   * 0.1 ms of work per write with a million records, and twenty times what
   * a code exchange writes, so the sweep keeps up with a steady load and
   * spreads a burst of expiries over many writes instead of slowing a few
   * hundred milliseconds of traffic.
   */
  readonly sweepSlice?: number;
}

interface CodeEntry {
  readonly record: CodeRecord;
  consumed: boolean;
}

/** The kinds of keys the expiry wheel files: the store's four maps. */
enum Kind {
  Code = 0,
  Access = 1,
  Refresh = 2,
  Revoked = 3,
}

/** Everything the store holds, keyed by token hash: for tests and the conformance suite's key check. */
export interface MemoryGrantStoreSnapshot {
  readonly codes: Readonly<Record<string, { readonly record: CodeRecord; readonly consumed: boolean }>>;
  readonly accessTokens: Readonly<Record<string, AccessTokenRecord>>;
  readonly refreshTokens: Readonly<Record<string, RefreshTokenRecord>>;
  readonly revokedGrants: Readonly<Record<string, number>>;
}

/**
 * A {@link GrantStore} in process memory: the embedded default.
 *
 * Atomic by construction: every operation reads and writes with no `await`
 * in between, so on one event loop no two operations interleave. Records
 * are filed by expiry (a timing wheel) as they are written; expired ones
 * are dropped lazily as writes happen (no timer keeps the process alive), a
 * bounded slice per write (`sweepSlice`), without looking at live ones, so
 * memory stays bounded by what is unexpired and no write pays for the
 * store's size. The maps are sharded so that no hash table's growth copies
 * more than a sliver of the store.
 *
 * @example
 * ```ts
 * import { MemoryClientStore, MemoryGrantStore } from '@kraikub/adapter-memory';
 * import { createAuthorizationServer } from '@kraikub/core';
 * const store = new MemoryGrantStore();
 * const server = createAuthorizationServer({
 *   config: { issuer: 'https://id.example.com', scopes: { profile: 'Read your profile' } },
 *   clients: new MemoryClientStore([]),
 *   store,
 * });
 * ```
 */
export class MemoryGrantStore implements GrantStore {
  readonly #clock: Clock;
  readonly #sweepSlice: number;
  readonly #codes = new ShardedMap<CodeEntry>();
  readonly #access = new ShardedMap<AccessTokenRecord>();
  readonly #refresh = new ShardedMap<RefreshTokenRecord>();
  /**
   * grant id -> until when its revocation is remembered. While a grant is
   * here every record of it reads as absent, and no record of it is written.
   * It stays at least until the latest expiry of any record written before
   * it ({@link MemoryGrantStore.revokeGrant}), so the grant's records have
   * expired before it goes: none can come back. No per-grant index:
   * revocation is rare, every read already checks the tombstone, and the
   * index cost every write a `Map` of its own.
   */
  readonly #revoked = new ShardedMap<number>();
  /** Every key, filed by when it expires. */
  readonly #wheel: ExpiryWheel<Kind>;
  /** The latest expiry of any record written so far. */
  #latestExpiry = Number.NEGATIVE_INFINITY;
  /** Drops an expired key the wheel hands out (it checks the map still holds an expired one). */
  readonly #expire: (kind: Kind, key: string) => void;
  /** The time the running slice judges expiry by. */
  #now = 0;

  constructor(options: MemoryGrantStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#wheel = new ExpiryWheel<Kind>(Math.max(1, options.sweepIntervalMs ?? 30_000), 4);
    this.#sweepSlice = Math.max(1, options.sweepSlice ?? 64);
    this.#expire = (kind, key) => {
      const now = this.#now;
      switch (kind) {
        case Kind.Code: {
          const entry = this.#codes.get(key);
          if (entry !== undefined && entry.record.expiresAt <= now) this.#codes.delete(key);
          return;
        }
        case Kind.Access: {
          const record = this.#access.get(key);
          if (record !== undefined && record.expiresAt <= now) this.#access.delete(key);
          return;
        }
        case Kind.Refresh: {
          const record = this.#refresh.get(key);
          if (record !== undefined && record.expiresAt <= now) this.#refresh.delete(key);
          return;
        }
        case Kind.Revoked: {
          const until = this.#revoked.get(key);
          if (until !== undefined && until <= now) this.#revoked.delete(key);
          return;
        }
      }
    };
  }

  async saveCode(key: TokenKey, record: CodeRecord): Promise<void> {
    this.#maybeSweep();
    this.#codes.set(key.hash, { record, consumed: false });
    this.#file(Kind.Code, key.hash, record.expiresAt);
  }

  async findCode(key: TokenKey): Promise<StoredCode | undefined> {
    const entry = this.#liveCode(key);
    return entry === undefined ? undefined : { record: entry.record, consumed: entry.consumed };
  }

  async consumeCode(key: TokenKey, tokens: TokenIssue): Promise<ConsumeCodeResult> {
    this.#maybeSweep();
    const entry = this.#liveCode(key);
    if (entry === undefined) return { status: 'not_found' };
    if (entry.consumed) return { status: 'replayed', grantId: entry.record.grantId };
    // The tombstone: the entry stays (consumed) until the code's own expiry.
    entry.consumed = true;
    this.#write(tokens);
    return { status: 'consumed', record: entry.record };
  }

  async issueTokens(issue: TokenIssue): Promise<IssueTokensResult> {
    this.#maybeSweep();
    if (this.#isRevoked(issue.grantId)) return { status: 'grant_revoked' };
    this.#write(issue);
    return { status: 'issued' };
  }

  async findAccessToken(key: TokenKey): Promise<AccessTokenRecord | undefined> {
    return this.#live(this.#access.get(key.hash), key);
  }

  async findRefreshToken(key: TokenKey): Promise<RefreshTokenRecord | undefined> {
    return this.#live(this.#refresh.get(key.hash), key);
  }

  async rotateRefreshToken(
    old: TokenKey,
    rotation: RefreshRotation,
    next: TokenIssue,
  ): Promise<RotateRefreshTokenResult> {
    this.#maybeSweep();
    const record = this.#live(this.#refresh.get(old.hash), old);
    if (record === undefined) return { status: 'not_found' };
    if (record.rotation !== undefined) return { status: 'reused', record };
    this.#refresh.set(old.hash, { ...record, rotation });
    this.#write(next);
    return { status: 'rotated' };
  }

  async revokeAccessToken(key: TokenKey): Promise<void> {
    this.#access.delete(key.hash);
  }

  /**
   * Remembers the revocation until `retainUntil`, or until the latest expiry
   * of any record written so far if that is later: no record of the grant
   * is written from now on, so by then every one of them has expired, and
   * forgetting the grant cannot bring one back (whatever `retainUntil` the
   * caller passed).
   */
  async revokeGrant(grantId: string, retainUntil: number): Promise<void> {
    this.#maybeSweep();
    const before = this.#revoked.get(grantId);
    const until = Math.max(retainUntil, this.#latestExpiry, before ?? Number.NEGATIVE_INFINITY);
    if (until === before) return;
    this.#revoked.set(grantId, until);
    this.#wheel.add(Kind.Revoked, grantId, until);
  }

  /** A copy of everything stored (expired records included until swept). */
  snapshot(): MemoryGrantStoreSnapshot {
    const codes: Record<string, { record: CodeRecord; consumed: boolean }> = {};
    for (const [hash, entry] of this.#codes) codes[hash] = { record: entry.record, consumed: entry.consumed };
    return {
      codes,
      accessTokens: Object.fromEntries(this.#access),
      refreshTokens: Object.fromEntries(this.#refresh),
      revokedGrants: Object.fromEntries(this.#revoked),
    };
  }

  /** How many records (codes, tokens, revoked grants) are held: for memory checks. */
  get size(): number {
    return this.#codes.size + this.#access.size + this.#refresh.size + this.#revoked.size;
  }

  /**
   * Drops every expired record and every expired revocation now, in one go
   * (for tests and shutdown). Writes do this on their own, a slice at a
   * time.
   */
  sweep(): void {
    this.#now = this.#clock.now();
    this.#wheel.take(this.#now, Number.POSITIVE_INFINITY, this.#expire);
  }

  /** Drops a slice of the expired records, when any have expired. */
  #maybeSweep(): void {
    const now = this.#clock.now();
    if (!this.#wheel.due(now)) return;
    this.#now = now;
    this.#wheel.take(now, this.#sweepSlice, this.#expire);
  }

  /** Files a record's key by its expiry. */
  #file(kind: Kind, hash: string, expiresAt: number): void {
    if (expiresAt > this.#latestExpiry) this.#latestExpiry = expiresAt;
    this.#wheel.add(kind, hash, expiresAt);
  }

  #write(issue: TokenIssue): void {
    const { accessToken, refreshToken } = issue;
    this.#access.set(accessToken.key.hash, accessToken.record);
    this.#file(Kind.Access, accessToken.key.hash, accessToken.record.expiresAt);
    if (refreshToken !== undefined) {
      this.#refresh.set(refreshToken.key.hash, refreshToken.record);
      this.#file(Kind.Refresh, refreshToken.key.hash, refreshToken.record.expiresAt);
    }
  }

  #liveCode(key: TokenKey): CodeEntry | undefined {
    const entry = this.#codes.get(key.hash);
    if (entry === undefined || entry.record.grantId !== key.grantId) return undefined;
    if (entry.record.expiresAt <= this.#clock.now() || this.#isRevoked(key.grantId)) return undefined;
    return entry;
  }

  /** A tombstone counts until the sweep removes it, after the grant's records have expired. */
  #isRevoked(grantId: string): boolean {
    return this.#revoked.has(grantId);
  }

  #live<R extends { readonly expiresAt: number; readonly grantId: string }>(
    record: R | undefined,
    key: TokenKey,
  ): R | undefined {
    if (record === undefined || record.grantId !== key.grantId) return undefined;
    if (record.expiresAt <= this.#clock.now() || this.#isRevoked(record.grantId)) return undefined;
    return record;
  }
}

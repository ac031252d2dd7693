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
import { ShardedMap } from './sharded-map.ts';

/** Options of {@link MemoryGrantStore}. */
export interface MemoryGrantStoreOptions {
  /** The clock expiry is judged by; inject a fake one in tests. Default: `Date.now()`. */
  readonly clock?: Clock;
  /** Milliseconds of clock time between sweeps of expired records. Default 30 000. */
  readonly sweepIntervalMs?: number;
  /**
   * Records a write looks at for the running sweep, at most. A sweep walks
   * the store in slices of this size, one slice per write, so no operation
   * holds the event loop for long, whatever the store's size. Default 256
   * (a few microseconds).
   */
  readonly sweepSlice?: number;
}

interface CodeEntry {
  readonly record: CodeRecord;
  consumed: boolean;
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
 * in between, so on one event loop no two operations interleave. Expired
 * records are swept lazily as writes happen (no timer keeps the process
 * alive), a bounded slice per write (`sweepSlice`), so memory stays bounded
 * by what is live and no write pays for the whole store.
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
  readonly #sweepIntervalMs: number;
  #nextSweepAt: number;
  readonly #sweepSlice: number;
  /** The sweep under way: where it is, and the time it judges expiry by. */
  #sweeping: { readonly steps: Iterator<void>; readonly now: number } | undefined;
  // Sharded, so no hash table's growth or shrinking copies the whole store at once.
  readonly #codes = new ShardedMap<CodeEntry>();
  readonly #access = new ShardedMap<AccessTokenRecord>();
  readonly #refresh = new ShardedMap<RefreshTokenRecord>();
  /**
   * grant id -> until when its revocation is remembered. While a grant is
   * here every record of it reads as absent; the sweep drops those records
   * before it drops the tombstone, so none outlives it. No per-grant index:
   * revocation is rare, every read already checks the tombstone, and the
   * index cost every write a Map of its own.
   */
  readonly #revoked = new ShardedMap<number>();

  constructor(options: MemoryGrantStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
    this.#nextSweepAt = this.#clock.now() + this.#sweepIntervalMs;
    this.#sweepSlice = Math.max(1, options.sweepSlice ?? 256);
  }

  async saveCode(key: TokenKey, record: CodeRecord): Promise<void> {
    this.#maybeSweep();
    this.#codes.set(key.hash, { record, consumed: false });
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

  async revokeGrant(grantId: string, retainUntil: number): Promise<void> {
    this.#maybeSweep();
    this.#revoked.set(grantId, Math.max(retainUntil, this.#revoked.get(grantId) ?? 0));
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
   * Drops every expired record and every record of a revoked grant now, then
   * the expired revocations: the whole store in one go (for tests and
   * shutdown). Writes sweep on their own, a slice at a time.
   */
  sweep(): void {
    const now = this.#clock.now();
    this.#nextSweepAt = now + this.#sweepIntervalMs;
    this.#sweeping = undefined;
    const steps = this.#sweepSteps(now, Number.POSITIVE_INFINITY);
    while (!steps.next().done) {
      // every record visited
    }
  }

  /**
   * The sweep, `slice` records per step: codes, access tokens, refresh
   * tokens, then revocations. A grant's records go before its tombstone, and
   * no record of a revoked grant is written after it (every write checks
   * it). Deleting from a `Map` while iterating it is safe. One resumption per
   * slice, not per record, and no tombstone lookup while no grant is revoked
   * (the common case): a record visited costs a `Map` step and a comparison.
   */
  *#sweepSteps(now: number, slice: number): Generator<void> {
    let left = slice;
    // Whether any grant is revoked, read again after every pause (a revocation may come in between).
    let revocations = this.#revoked.size > 0;
    const kinds = [this.#codes, this.#access, this.#refresh] as ShardedMap<unknown>[];
    for (const [kind, map] of kinds.entries()) {
      for (const [hash, value] of map) {
        const record =
          kind === 0 ? (value as CodeEntry).record : (value as { expiresAt: number; grantId: string });
        if (record.expiresAt <= now || (revocations && this.#revoked.has(record.grantId))) map.delete(hash);
        if (--left === 0) {
          yield;
          left = slice;
          revocations = this.#revoked.size > 0;
        }
      }
    }
    for (const [grantId, until] of this.#revoked) {
      if (until <= now) this.#revoked.delete(grantId);
      if (--left === 0) {
        yield;
        left = slice;
      }
    }
  }

  /** Starts a sweep when one is due, and moves the running one on by a slice. */
  #maybeSweep(): void {
    if (this.#sweeping === undefined) {
      const now = this.#clock.now();
      if (now < this.#nextSweepAt) return;
      this.#nextSweepAt = now + this.#sweepIntervalMs;
      this.#sweeping = { steps: this.#sweepSteps(now, this.#sweepSlice), now };
    }
    if (this.#sweeping.steps.next().done === true) this.#sweeping = undefined;
  }

  #write(issue: TokenIssue): void {
    const { accessToken, refreshToken } = issue;
    this.#access.set(accessToken.key.hash, accessToken.record);
    if (refreshToken !== undefined) {
      this.#refresh.set(refreshToken.key.hash, refreshToken.record);
    }
  }

  #liveCode(key: TokenKey): CodeEntry | undefined {
    const entry = this.#codes.get(key.hash);
    if (entry === undefined || entry.record.grantId !== key.grantId) return undefined;
    if (entry.record.expiresAt <= this.#clock.now() || this.#isRevoked(key.grantId)) return undefined;
    return entry;
  }

  /** A tombstone counts until the sweep removes it, after the grant's records. */
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

/**
 * The app's own state (sessions, remembered consents, login rate limits):
 * not the protocol's, so not a core port, but kept in the configured
 * storage like the grants, so any provider process can serve any request.
 * Values are JSON; every write that can race is one atomic operation in the
 * backend (an increment, a set member added).
 */
export interface AppStore {
  /** The value at `key`, or `undefined` when absent or expired. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` at `key` for `ttlMs`. */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Stores `value` at `key` for `ttlMs` unless a live value is there; true when it stored. One atomic step. */
  setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Adds one to the counter at `key` and returns the new count; a new
   * counter expires `windowMs` after its first increment (a fixed window).
   */
  increment(key: string, windowMs: number): Promise<number>;
  /** Adds `member` to the set at `key`, which then lives at least `ttlMs`. */
  addMember(key: string, member: string, ttlMs: number): Promise<void>;
  removeMember(key: string, member: string): Promise<void>;
  /** The members of the set at `key` (empty when absent). */
  members(key: string): Promise<string[]>;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * {@link AppStore} in process memory: the default of `pnpm start` (one
 * process). Expired entries are dropped when read, and swept from the
 * oldest on as new ones are written.
 */
export class MemoryAppStore implements AppStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#live(key)?.value as T | undefined;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.#write(key, { value: structuredClone(value), expiresAt: this.#now() + ttlMs });
  }

  async setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async increment(key: string, windowMs: number): Promise<number> {
    const entry = this.#live(key);
    if (entry === undefined) {
      this.#write(key, { value: 1, expiresAt: this.#now() + windowMs });
      return 1;
    }
    entry.value = (entry.value as number) + 1;
    return entry.value as number;
  }

  async addMember(key: string, member: string, ttlMs: number): Promise<void> {
    const entry = this.#live(key);
    const until = this.#now() + ttlMs;
    if (entry === undefined) {
      this.#write(key, { value: new Set([member]), expiresAt: until });
      return;
    }
    (entry.value as Set<string>).add(member);
    entry.expiresAt = Math.max(entry.expiresAt, until);
  }

  async removeMember(key: string, member: string): Promise<void> {
    (this.#live(key)?.value as Set<string> | undefined)?.delete(member);
  }

  async members(key: string): Promise<string[]> {
    return [...((this.#live(key)?.value as Set<string> | undefined) ?? [])];
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  #write(key: string, entry: Entry): void {
    const now = this.#now();
    // A few expired entries from the front (the oldest writes) per write: memory stays bounded.
    let checked = 0;
    for (const [old, { expiresAt }] of this.#entries) {
      if (++checked > 8) break;
      if (expiresAt <= now) this.#entries.delete(old);
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }
}

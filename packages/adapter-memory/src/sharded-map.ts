/**
 * A `Map` split into many small shards by three characters near the end of
 * the key, so that no single hash table holds more than a sliver of the
 * store: V8 grows and shrinks a `Map` by copying its whole table, and in a
 * large heap that copy costs about a millisecond per 5,000 entries (every
 * key's hash is read from its string, a cache miss each). With 1,024 shards
 * a million entries make tables of about a thousand, whose copy costs a
 * fraction of a millisecond. Shards are created on first use, so a small
 * store pays for few. The keys here are base64url SHA-256 digests or random
 * grant ids, whose characters are uniform (but for a digest's last one,
 * which carries only 4 bits and is not used).
 */
export class ShardedMap<V> implements Iterable<[string, V]> {
  readonly #shards: (Map<string, V> | undefined)[];
  readonly #mask: number;

  /** @param shardCount - a power of two (default 1,024). */
  constructor(shardCount = 1024) {
    if (!Number.isInteger(Math.log2(shardCount))) throw new RangeError('shardCount must be a power of two');
    this.#shards = new Array<Map<string, V> | undefined>(shardCount).fill(undefined);
    this.#mask = shardCount - 1;
  }

  /** The shard of a key (characters past the start read as `NaN`, which `&` turns into 0). */
  #index(key: string): number {
    const n = key.length;
    return (key.charCodeAt(n - 2) * 961 + key.charCodeAt(n - 3) * 31 + key.charCodeAt(n - 4)) & this.#mask;
  }

  get(key: string): V | undefined {
    return this.#shards[this.#index(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.#shards[this.#index(key)]?.has(key) ?? false;
  }

  set(key: string, value: V): this {
    const index = this.#index(key);
    let shard = this.#shards[index];
    if (shard === undefined) {
      shard = new Map<string, V>();
      this.#shards[index] = shard;
    }
    shard.set(key, value);
    return this;
  }

  delete(key: string): boolean {
    return this.#shards[this.#index(key)]?.delete(key) ?? false;
  }

  get size(): number {
    let size = 0;
    for (const shard of this.#shards) size += shard?.size ?? 0;
    return size;
  }

  /** The entry count of the fullest shard: for tests of the spread. */
  get largestShard(): number {
    let largest = 0;
    for (const shard of this.#shards) largest = Math.max(largest, shard?.size ?? 0);
    return largest;
  }

  /** Every entry, shard by shard; deleting while iterating is safe, as with a `Map`. */
  *[Symbol.iterator](): Iterator<[string, V]> {
    for (const shard of this.#shards) if (shard !== undefined) yield* shard;
  }
}

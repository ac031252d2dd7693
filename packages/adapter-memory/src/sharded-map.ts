/**
 * A `Map` split into shards by the next-to-last character of the key, so that no
 * single hash table grows past a fraction of the store: V8 grows and shrinks
 * a `Map` by copying it whole, and a copy of one table of a million entries
 * holds the event loop for milliseconds, where a shard's copy costs a
 * fraction of that. The keys here are base64url SHA-256 digests (or random
 * grant ids), whose characters are uniform but for the last one of a digest,
 * which carries only 4 bits.
 */
export class ShardedMap<V> implements Iterable<[string, V]> {
  readonly #shards: Map<string, V>[];

  constructor(readonly shardCount = 32) {
    this.#shards = Array.from({ length: shardCount }, () => new Map<string, V>());
  }

  #shard(key: string): Map<string, V> {
    return this.#shards[(key.charCodeAt(key.length - 2) || 0) % this.shardCount] as Map<string, V>;
  }

  get(key: string): V | undefined {
    return this.#shard(key).get(key);
  }

  has(key: string): boolean {
    return this.#shard(key).has(key);
  }

  set(key: string, value: V): this {
    this.#shard(key).set(key, value);
    return this;
  }

  delete(key: string): boolean {
    return this.#shard(key).delete(key);
  }

  get size(): number {
    let size = 0;
    for (const shard of this.#shards) size += shard.size;
    return size;
  }

  /** Every entry, shard by shard; deleting while iterating is safe, as with a `Map`. */
  *[Symbol.iterator](): Iterator<[string, V]> {
    for (const shard of this.#shards) yield* shard;
  }
}

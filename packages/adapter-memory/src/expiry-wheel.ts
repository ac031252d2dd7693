/** Keys per chunk of a bucket's list: a new chunk costs a small allocation, never a copy. */
const chunkSize = 1024;

/** A bucket: for each kind, its keys in chunks of `chunkSize`. */
type Bucket = string[][][];

/**
 * Keys filed by when they expire, so expired keys can be found without
 * looking at live ones: a timing wheel with buckets `width` ms wide.
 *
 * A key expiring at `t` goes into bucket `ceil(t / width)`; bucket `b` holds
 * keys expiring in `((b - 1) * width, b * width]` and is due once
 * `b * width <= now`: every key in it has expired. Due buckets are found
 * through a min-heap of bucket numbers, and handed out a bounded number of
 * keys at a time ({@link ExpiryWheel.take}), oldest bucket first. A key
 * filed twice (its expiry extended) is handed out twice: the caller checks
 * what the key holds now before deleting it.
 *
 * `K` names what a key belongs to (a map of the store): keys of each kind
 * sit in their own list of the bucket, so filing a key costs one array
 * slot. A list is a chain of fixed-size chunks: a bucket may hold hundreds
 * of thousands of keys, and growing one array that long would copy it
 * whole, holding the event loop for milliseconds.
 */
export class ExpiryWheel<K extends number> {
  readonly #width: number;
  readonly #kinds: number;
  /** Bucket number -> its keys, a list of chunks per kind. */
  readonly #buckets = new Map<number, Bucket>();
  /** Bucket numbers, a binary min-heap: the next bucket to come due is at the top. */
  readonly #heap: number[] = [];
  /** The last bucket each kind filed into (writes of one kind mostly land in the same bucket). */
  readonly #lastNumber: number[];
  readonly #lastBucket: (Bucket | undefined)[];
  /** The due bucket being handed out: its keys, and where in them (kind, chunk, key). */
  #draining: Bucket | undefined;
  #kind = 0;
  #chunk = 0;
  #position = 0;

  /**
   * @param width - bucket width in ms: a key is handed out at most this long after it expires.
   * @param kinds - how many kinds of keys (`K` ranges over `0 .. kinds - 1`).
   */
  constructor(width: number, kinds: number) {
    if (!(width > 0)) throw new RangeError('width must be positive');
    this.#width = width;
    this.#kinds = kinds;
    this.#lastNumber = new Array<number>(kinds).fill(Number.NaN);
    this.#lastBucket = new Array<Bucket | undefined>(kinds).fill(undefined);
  }

  /** Files `key` of `kind` to be handed out once `expiresAt` has passed (never, when it is not finite). */
  add(kind: K, key: string, expiresAt: number): void {
    if (!Number.isFinite(expiresAt)) return;
    const number = Math.ceil(expiresAt / this.#width);
    let bucket = this.#lastNumber[kind] === number ? this.#lastBucket[kind] : this.#buckets.get(number);
    if (bucket === undefined) {
      bucket = Array.from({ length: this.#kinds }, () => []);
      this.#buckets.set(number, bucket);
      this.#push(number);
    }
    this.#lastNumber[kind] = number;
    this.#lastBucket[kind] = bucket;
    const chunks = bucket[kind] as string[][];
    const last = chunks[chunks.length - 1];
    if (last === undefined || last.length === chunkSize) chunks.push([key]);
    else last.push(key);
  }

  /** Whether a bucket is due at `now` (or one is being handed out). */
  due(now: number): boolean {
    if (this.#draining !== undefined) return true;
    const next = this.#heap[0];
    return next !== undefined && next * this.#width <= now;
  }

  /**
   * Hands `visit` up to `limit` keys of the buckets due at `now`, oldest
   * first, each bucket's keys kind by kind. Returns whether keys of due
   * buckets are left for a later call.
   */
  take(now: number, limit: number, visit: (kind: K, key: string) => void): boolean {
    let left = limit;
    while (left > 0) {
      let bucket = this.#draining;
      if (bucket === undefined) {
        const next = this.#heap[0];
        if (next === undefined || next * this.#width > now) return false;
        this.#pop();
        bucket = this.#buckets.get(next) as Bucket;
        this.#buckets.delete(next);
        // Later keys for this number start a new bucket (it is back in the heap).
        this.#lastNumber.fill(Number.NaN);
        this.#lastBucket.fill(undefined);
        this.#draining = bucket;
        this.#kind = 0;
        this.#chunk = 0;
        this.#position = 0;
      }
      while (left > 0 && this.#kind < this.#kinds) {
        const chunks = bucket[this.#kind] as string[][];
        const keys = chunks[this.#chunk];
        if (keys === undefined) {
          this.#kind++;
          this.#chunk = 0;
          this.#position = 0;
          continue;
        }
        if (this.#position >= keys.length) {
          this.#chunk++;
          this.#position = 0;
          continue;
        }
        visit(this.#kind as K, keys[this.#position++] as string);
        left--;
      }
      if (this.#kind === this.#kinds) this.#draining = undefined;
    }
    return this.due(now);
  }

  /** How many keys are filed (handed-out ones no longer count): for memory checks. */
  get size(): number {
    let size = 0;
    const count = (chunks: string[][], from: number) => {
      let keys = 0;
      for (let chunk = from; chunk < chunks.length; chunk++) keys += (chunks[chunk] as string[]).length;
      return keys;
    };
    for (const bucket of this.#buckets.values()) for (const chunks of bucket) size += count(chunks, 0);
    const draining = this.#draining;
    if (draining !== undefined) {
      size += count(draining[this.#kind] as string[][], this.#chunk) - this.#position;
      for (let kind = this.#kind + 1; kind < this.#kinds; kind++)
        size += count(draining[kind] as string[][], 0);
    }
    return size;
  }

  #push(number: number): void {
    const heap = this.#heap;
    let at = heap.push(number) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if ((heap[parent] as number) <= number) break;
      heap[at] = heap[parent] as number;
      at = parent;
    }
    heap[at] = number;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[at] = heap[child] as number;
      at = child;
    }
    heap[at] = last;
  }
}

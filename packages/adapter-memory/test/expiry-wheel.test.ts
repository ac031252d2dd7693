import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ExpiryWheel } from '../src/expiry-wheel.ts';
import { ShardedMap } from '../src/sharded-map.ts';

describe('ExpiryWheel', () => {
  const width = 100;
  /** Steps: file a key expiring at an offset from now, move the clock on, or take a slice. */
  const step = fc.oneof(
    fc.record({ add: fc.integer({ min: -50, max: 1_000 }), kind: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ advance: fc.integer({ min: 0, max: 400 }) }),
    fc.record({ take: fc.integer({ min: 1, max: 7 }) }),
  );

  test('hands out every key once, never before it expires, at most a bucket late, at most limit a call', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const wheel = new ExpiryWheel<0 | 1 | 2>(width, 3);
        let now = 10_000;
        let serial = 0;
        const expiry = new Map<string, number>();
        const handedOut = new Set<string>();
        const take = (limit: number) => {
          let count = 0;
          wheel.take(now, limit, (kind, key) => {
            count++;
            expect(key.startsWith(`${kind}:`)).toBe(true);
            expect(handedOut.has(key)).toBe(false);
            expect(expiry.get(key)).toBeLessThanOrEqual(now);
            handedOut.add(key);
          });
          expect(count).toBeLessThanOrEqual(limit);
        };
        for (const s of steps) {
          if ('add' in s) {
            const key = `${s.kind}:${serial++}`;
            expiry.set(key, now + s.add);
            wheel.add(s.kind as 0 | 1 | 2, key, now + s.add);
          } else if ('advance' in s) now += s.advance;
          else take(s.take);
        }
        take(Number.POSITIVE_INFINITY);
        expect(wheel.due(now)).toBe(false);
        for (const [key, at] of expiry) {
          // Everything whose whole bucket has passed is out; nothing unexpired is.
          if (at <= now - width) expect(handedOut.has(key)).toBe(true);
          if (at > now) expect(handedOut.has(key)).toBe(false);
        }
        expect(wheel.size).toBe(expiry.size - handedOut.size);
      }),
    );
  });

  test('a bucket of many thousand keys is handed out whole, in slices, across its chunks', () => {
    const wheel = new ExpiryWheel<0 | 1>(width, 2);
    const keys = Array.from({ length: 5_000 }, (_, i) => `k${i}`);
    for (const [i, key] of keys.entries()) wheel.add((i % 2) as 0 | 1, key, 1_000);
    expect(wheel.size).toBe(5_000);
    const seen: string[] = [];
    let calls = 0;
    while (wheel.take(1_000, 700, (_, key) => seen.push(key))) {
      calls++;
      expect(wheel.size).toBe(5_000 - seen.length);
    }
    expect(calls).toBe(7);
    expect(seen.sort()).toEqual([...keys].sort());
    expect(wheel.size).toBe(0);
  });

  test('a key with no finite expiry is never handed out', () => {
    const wheel = new ExpiryWheel<0>(width, 1);
    wheel.add(0, 'nan', Number.NaN);
    wheel.add(0, 'forever', Number.POSITIVE_INFINITY);
    expect(wheel.size).toBe(0);
    expect(wheel.take(Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY, () => expect.unreachable())).toBe(
      false,
    );
  });
});

describe('ShardedMap', () => {
  test('spreads digests evenly, so no shard holds much more than its share', () => {
    const map = new ShardedMap<number>();
    const count = 200_000;
    for (let i = 0; i < count; i++) {
      const digest = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      map.set(digest, i);
    }
    expect(map.size).toBe(count);
    // 1,024 shards: about 195 each; a bad spread (one character, 64 values) would put ~3,000 in one.
    expect(map.largestShard).toBeLessThan((2 * count) / 1024);
  });

  test('iterates, deletes while iterating, and refuses a shard count that is not a power of two', () => {
    const map = new ShardedMap<number>(8);
    for (let i = 0; i < 100; i++) map.set(`key-${i}`, i);
    for (const [key, value] of map) if (value % 2 === 0) map.delete(key);
    expect([...map].map(([, value]) => value).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => 2 * i + 1),
    );
    expect(map.has('key-1')).toBe(true);
    expect(map.has('key-0')).toBe(false);
    expect(new ShardedMap<number>().get('')).toBeUndefined();
    expect(() => new ShardedMap(1000)).toThrow(RangeError);
  });
});

import { createHash } from 'node:crypto';
import type { CryptoPort } from '@kraikub/core';
import { describe, expect, test } from 'vitest';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * What every implementation of core's `CryptoPort` must do, registered as
 * vitest tests: core runs it on `webCrypto`, adapter-http on `nodeCrypto`.
 */
export function cryptoContract(name: string, crypto: CryptoPort): void {
  describe(`${name}: the CryptoPort contract`, () => {
    test.each([
      ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [
        'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      ],
    ])('FIPS 180-4 / RFC 6234 §8.5: SHA-256(%j)', async (input, expected) => {
      expect(hex(await crypto.sha256(input))).toBe(expected);
    });

    test('RFC 6234: sha256 hashes the UTF-8 encoding of non-ASCII input', async () => {
      for (const input of ['sécret ☃ 😀', 'kbs_x', '\u0000', 'a'.repeat(1000), '\ud800 lone surrogate']) {
        const digest = await crypto.sha256(input);
        expect(digest).toBeInstanceOf(Uint8Array);
        expect(digest).toHaveLength(32);
        expect(hex(digest)).toBe(createHash('sha256').update(input, 'utf8').digest('hex'));
      }
    });

    test('RFC 7636 §4.1: randomBytes returns the requested length, and differs between calls', () => {
      expect(crypto.randomBytes(0)).toHaveLength(0);
      expect(crypto.randomBytes(32)).toHaveLength(32);
      expect(crypto.randomBytes(16)).toHaveLength(16);
      expect(crypto.randomBytes(10_000)).toHaveLength(10_000);
      expect(hex(crypto.randomBytes(32))).not.toBe(hex(crypto.randomBytes(32)));
    });

    test('RFC 6749 §10.10: 32 random bytes are not all zero', () => {
      expect(crypto.randomBytes(32).some((byte) => byte !== 0)).toBe(true);
    });

    test('RFC 6749 §10.10: random bytes are never handed out twice, across pool refills', () => {
      const seen = new Set<string>();
      // 4 KiB pools: 2 000 draws of 32 bytes cross about 16 refills.
      for (let i = 0; i < 2000; i++) {
        const value = hex(crypto.randomBytes(32));
        expect(seen.has(value)).toBe(false);
        seen.add(value);
      }
    });

    test('RFC 6749 §10.10: randomBytes returns copies, not views of a shared buffer', () => {
      const a = crypto.randomBytes(32);
      const before = hex(a);
      crypto.randomBytes(4096);
      for (let i = 0; i < 300; i++) crypto.randomBytes(32);
      expect(hex(a)).toBe(before);
      expect(a.byteLength).toBe(a.buffer.byteLength);
    });

    test.each<[string, number[], number[], boolean]>([
      ['equal arrays', [1, 2, 3], [1, 2, 3], true],
      ['empty arrays', [], [], true],
      ['a different first byte', [0, 2, 3], [1, 2, 3], false],
      ['a different last byte', [1, 2, 3], [1, 2, 4], false],
      ['a single flipped bit', [0x80], [0x00], false],
      ['a strict prefix', [1, 2], [1, 2, 3], false],
      ['a longer array', [1, 2, 3, 0], [1, 2, 3], false],
      ['one empty array', [], [0], false],
    ])('RFC 6749 §10.10: timingSafeEqual of %s is %s (never throws on lengths)', (_case, a, b, expected) => {
      expect(crypto.timingSafeEqual(new Uint8Array(a), new Uint8Array(b))).toBe(expected);
      expect(crypto.timingSafeEqual(new Uint8Array(b), new Uint8Array(a))).toBe(expected);
    });

    test('RFC 6749 §10.10: timingSafeEqual compares whole SHA-256 digests', async () => {
      const a = await crypto.sha256('secret-a');
      expect(crypto.timingSafeEqual(a, await crypto.sha256('secret-a'))).toBe(true);
      expect(crypto.timingSafeEqual(a, await crypto.sha256('secret-b'))).toBe(false);
    });
  });
}

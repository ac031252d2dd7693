import { createHash } from 'node:crypto';
import { base64url, hashSecret, webCrypto } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { nodeCrypto } from '../src/node.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('nodeCrypto: the same Crypto checks as webCrypto', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
  ])('FIPS 180-4 / RFC 6234 §8.5: SHA-256(%j)', async (input, expected) => {
    expect(hex(await nodeCrypto.sha256(input))).toBe(expected);
  });

  test('RFC 6234: sha256 hashes the UTF-8 encoding of non-ASCII input, as webCrypto does', async () => {
    for (const input of ['sécret ☃ 😀', 'kbs_x', '\u0000', 'a'.repeat(1000), '\ud800 lone surrogate']) {
      const digest = await nodeCrypto.sha256(input);
      expect(digest).toBeInstanceOf(Uint8Array);
      expect(digest).toHaveLength(32);
      expect(hex(digest)).toBe(hex(await webCrypto.sha256(input)));
      expect(hex(digest)).toBe(createHash('sha256').update(input, 'utf8').digest('hex'));
    }
  });

  test('hashSecret gives the same stored hash with either Crypto', async () => {
    for (const secret of [
      'kbs_abc',
      'kba_QlWNsImfOzWpwW1nDHewzw.pnwAV8Rcujs8WP2N_KoZiXidRtgz3Z33XyDO5nqy2zk',
    ]) {
      expect(await hashSecret(nodeCrypto, secret)).toBe(await hashSecret(webCrypto, secret));
    }
  });

  test('RFC 4648 §5: sha256Base64url is base64url(sha256) exactly, as core encodes it', async () => {
    const inputs = ['', 'abc', 'sécret ☃ 😀', 'kbc_QlWNsImfOzWpwW1nDHewzw.x', 'a'.repeat(333), '\ud800'];
    for (const input of inputs) {
      const text = await nodeCrypto.sha256Base64url?.(input);
      expect(text).toBe(base64url(await webCrypto.sha256(input)));
      expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    expect(await nodeCrypto.sha256Base64url?.('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  test('RFC 7636 §4.1: randomBytes returns the requested length, and differs between calls', () => {
    expect(nodeCrypto.randomBytes(0)).toHaveLength(0);
    expect(nodeCrypto.randomBytes(32)).toHaveLength(32);
    expect(nodeCrypto.randomBytes(16)).toHaveLength(16);
    expect(nodeCrypto.randomBytes(10_000)).toHaveLength(10_000);
    expect(hex(nodeCrypto.randomBytes(32))).not.toBe(hex(nodeCrypto.randomBytes(32)));
  });

  test('RFC 6749 §10.10: random bytes are never handed out twice, across pool refills', () => {
    const seen = new Set<string>();
    // 4 KiB pools: 2 000 draws of 32 bytes cross about 16 refills.
    for (let i = 0; i < 2000; i++) {
      const value = hex(nodeCrypto.randomBytes(32));
      expect(seen.has(value)).toBe(false);
      seen.add(value);
    }
  });

  test('RFC 6749 §10.10: randomBytes returns copies, not views of a shared buffer', () => {
    const a = nodeCrypto.randomBytes(32);
    const before = hex(a);
    nodeCrypto.randomBytes(4096);
    for (let i = 0; i < 200; i++) nodeCrypto.randomBytes(32);
    expect(hex(a)).toBe(before);
    expect(a.byteLength).toBe(a.buffer.byteLength);
  });

  test('RFC 6749 §10.10: 32 random bytes are not all zero', () => {
    expect(nodeCrypto.randomBytes(32).some((byte) => byte !== 0)).toBe(true);
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
    expect(nodeCrypto.timingSafeEqual(new Uint8Array(a), new Uint8Array(b))).toBe(expected);
    expect(nodeCrypto.timingSafeEqual(new Uint8Array(b), new Uint8Array(a))).toBe(expected);
    expect(webCrypto.timingSafeEqual(new Uint8Array(a), new Uint8Array(b))).toBe(expected);
  });

  test('RFC 6749 §10.10: timingSafeEqual compares whole SHA-256 digests', async () => {
    const a = await nodeCrypto.sha256('secret-a');
    expect(nodeCrypto.timingSafeEqual(a, await nodeCrypto.sha256('secret-a'))).toBe(true);
    expect(nodeCrypto.timingSafeEqual(a, await nodeCrypto.sha256('secret-b'))).toBe(false);
    expect(nodeCrypto.timingSafeEqual(a, await webCrypto.sha256('secret-a'))).toBe(true);
  });

  test('sha256 and sha256Base64url report a bad input as a rejection, never a synchronous throw', async () => {
    let bytes: Promise<Uint8Array> | undefined;
    let text: Promise<string> | undefined;
    expect(() => {
      bytes = nodeCrypto.sha256(undefined as unknown as string);
      text = nodeCrypto.sha256Base64url?.(undefined as unknown as string);
    }).not.toThrow();
    await expect(bytes).rejects.toBeInstanceOf(Error);
    await expect(text).rejects.toBeInstanceOf(Error);
  });
});

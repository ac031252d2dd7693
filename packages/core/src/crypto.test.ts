import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { base64url, decodeBase64url, hashSecret, systemClock, webCrypto } from './crypto.ts';

const text = (value: string) => new TextEncoder().encode(value);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('base64url (RFC 4648 §5)', () => {
  // RFC 4648 §10 test vectors, without the padding §5 lets base64url omit.
  test.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 §10: BASE64URL(%j) = %j', (input, expected) => {
    expect(base64url(text(input))).toBe(expected);
  });

  test.each<[number[], string]>([
    [[0xfb, 0xff, 0xbf], '-_-_'],
    [[0xfb, 0xef], '--8'],
    [[0xff], '_w'],
    [[0x00, 0x00, 0x00], 'AAAA'],
    [[0xff, 0xff, 0xff], '____'],
  ])('RFC 4648 §5: %j uses the URL-safe alphabet as %j', (bytes, expected) => {
    expect(base64url(new Uint8Array(bytes))).toBe(expected);
  });

  test('RFC 4648 §5: agrees with Node for every length 0..100 and never pads', () => {
    for (let length = 0; length <= 100; length++) {
      const bytes = webCrypto.randomBytes(length);
      const encoded = base64url(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
    }
  });

  test('RFC 4648 §5: long inputs (past one String.fromCharCode chunk) encode as Node does', () => {
    for (const length of [6143, 6144, 6145, 100_000]) {
      const bytes = webCrypto.randomBytes(length);
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    }
  });

  test('RFC 4648 §5: every byte value encodes as Node does', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64url(all)).toBe(Buffer.from(all).toString('base64url'));
  });
});

describe('decodeBase64url (RFC 4648 §5)', () => {
  test.each([
    ['', ''],
    ['Zg', 'f'],
    ['Zm8', 'fo'],
    ['Zm9v', 'foo'],
    ['Zm9vYg', 'foob'],
    ['Zm9vYmE', 'fooba'],
    ['Zm9vYmFy', 'foobar'],
    ['Zg==', 'f'],
    ['Zm8=', 'fo'],
  ])('RFC 4648 §10: decodes %j to %j (padding tolerated)', (input, expected) => {
    const bytes = decodeBase64url(input);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(bytes)).toBe(expected);
  });

  test('RFC 4648 §5: the URL-safe alphabet decodes', () => {
    expect([...(decodeBase64url('-_-_') ?? [])]).toEqual([0xfb, 0xff, 0xbf]);
  });

  test('RFC 4648 §5: round-trips every length 0..100', () => {
    for (let length = 0; length <= 100; length++) {
      const bytes = webCrypto.randomBytes(length);
      const decoded = decodeBase64url(base64url(bytes));
      expect(decoded && hex(decoded)).toBe(hex(bytes));
    }
  });

  test.each([
    ['a length of 1 mod 4', 'Z'],
    ['a length of 5', 'Zm9vY'],
    ['standard base64 +', 'Zm+v'],
    ['standard base64 /', 'Zm/v'],
    ['padding in the middle', 'Zg==Zg'],
    ['a leading =', '=Zg'],
    ['a space', 'Zm9 v'],
    ['a newline', 'Zm9v\n'],
    ['a dot', 'Zm9v.'],
    ['non-ASCII', 'Zm9é'],
    ['a NUL', 'Zm9\u0000'],
    ['only padding after one char', 'Z==='],
  ])('RFC 4648 §3.3: %s is malformed (undefined, no throw)', (_case, input) => {
    expect(decodeBase64url(input)).toBeUndefined();
  });
});

describe('webCrypto', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
  ])('FIPS 180-4 / RFC 6234 §8.5: SHA-256(%j)', async (input, expected) => {
    expect(hex(await webCrypto.sha256(input))).toBe(expected);
  });

  test('RFC 6234: sha256 hashes the UTF-8 encoding of non-ASCII input', async () => {
    const input = 'sécret ☃ 😀';
    expect(hex(await webCrypto.sha256(input))).toBe(createHash('sha256').update(input, 'utf8').digest('hex'));
  });

  test('RFC 7636 §4.1: randomBytes returns the requested length, and differs between calls', () => {
    expect(webCrypto.randomBytes(0)).toHaveLength(0);
    expect(webCrypto.randomBytes(32)).toHaveLength(32);
    expect(hex(webCrypto.randomBytes(32))).not.toBe(hex(webCrypto.randomBytes(32)));
  });

  test('RFC 6749 §10.10: 32 random bytes are not all zero', () => {
    expect(webCrypto.randomBytes(32).some((byte) => byte !== 0)).toBe(true);
  });

  test('RFC 6749 §10.10: random bytes are never handed out twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const value = hex(webCrypto.randomBytes(32));
      expect(seen.has(value)).toBe(false);
      seen.add(value);
    }
  });

  test('RFC 6749 §10.10: randomBytes returns copies of any size, not views of a shared buffer', () => {
    const a = webCrypto.randomBytes(32);
    const before = hex(a);
    for (let i = 0; i < 300; i++) webCrypto.randomBytes(32);
    expect(hex(a)).toBe(before);
    expect(a.byteLength).toBe(a.buffer.byteLength);
    const large = webCrypto.randomBytes(200_000);
    expect(large).toHaveLength(200_000);
    expect(large.subarray(150_000).some((byte) => byte !== 0)).toBe(true);
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
  ])('RFC 6749 §10.10: timingSafeEqual of %s is %s', (_case, a, b, expected) => {
    expect(webCrypto.timingSafeEqual(new Uint8Array(a), new Uint8Array(b))).toBe(expected);
    expect(webCrypto.timingSafeEqual(new Uint8Array(b), new Uint8Array(a))).toBe(expected);
  });

  test('RFC 6749 §10.10: timingSafeEqual compares whole SHA-256 digests', async () => {
    const a = await webCrypto.sha256('secret-a');
    expect(webCrypto.timingSafeEqual(a, await webCrypto.sha256('secret-a'))).toBe(true);
    expect(webCrypto.timingSafeEqual(a, await webCrypto.sha256('secret-b'))).toBe(false);
  });
});

describe('hashSecret', () => {
  test('RFC 4648 §5, RFC 6234: is BASE64URL(SHA-256(input)) with no padding', async () => {
    expect(await hashSecret(webCrypto, 'abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(await hashSecret(webCrypto, '')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });

  test('RFC 4648 §5: a hash is 43 base64url characters and decodes to 32 bytes', async () => {
    const hash = await hashSecret(webCrypto, 'kbs_anything');
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeBase64url(hash)).toHaveLength(32);
  });

  test('hashSecret uses the injected Crypto', async () => {
    const fake = { ...webCrypto, sha256: async () => new Uint8Array([0xfb, 0xff]) };
    expect(await hashSecret(fake, 'ignored')).toBe('-_8');
  });

  test("hashSecret uses the Crypto's own sha256Base64url when it has one", async () => {
    const seen: string[] = [];
    const fake = {
      ...webCrypto,
      sha256: async () => {
        throw new Error('not called');
      },
      sha256Base64url: async (input: string) => {
        seen.push(input);
        return 'native';
      },
    };
    expect(await hashSecret(fake, 'kbs_x')).toBe('native');
    expect(seen).toEqual(['kbs_x']);
  });
});

describe('systemClock', () => {
  test('now() is Date.now() in milliseconds', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});

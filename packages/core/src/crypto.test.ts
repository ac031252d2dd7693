import { describe, expect, test } from 'vitest';
import { cryptoContract } from '../test/crypto-contract.ts';
import { systemClock } from './clock.ts';
import { base64url, decodeBase64url, sha256Base64url, webCrypto } from './crypto.ts';

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

cryptoContract('webCrypto', webCrypto);

describe('webCrypto', () => {
  test('RFC 6749 §10.10: randomBytes of any size, beyond its 4 KiB pool', () => {
    const large = webCrypto.randomBytes(200_000);
    expect(large).toHaveLength(200_000);
    expect(large.subarray(150_000).some((byte) => byte !== 0)).toBe(true);
  });
});

describe('sha256Base64url', () => {
  test('RFC 4648 §5, RFC 6234: is BASE64URL(SHA-256(input)) with no padding', async () => {
    expect(await sha256Base64url(webCrypto, 'abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(await sha256Base64url(webCrypto, '')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });

  test('RFC 4648 §5: a hash is 43 base64url characters and decodes to 32 bytes', async () => {
    const hash = await sha256Base64url(webCrypto, 'kbs_anything');
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeBase64url(hash)).toHaveLength(32);
  });

  test('sha256Base64url uses the injected crypto port', async () => {
    const fake = { ...webCrypto, sha256: async () => new Uint8Array([0xfb, 0xff]) };
    expect(await sha256Base64url(fake, 'ignored')).toBe('-_8');
  });

  test("sha256Base64url uses the crypto port's own sha256Base64url when it has one", async () => {
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
    expect(await sha256Base64url(fake, 'kbs_x')).toBe('native');
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

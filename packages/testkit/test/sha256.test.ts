import { base64url, webCrypto } from '@kraikub/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { sha256, sha256Text } from '../src/lib/sha256.ts';

const webSha256 = async (bytes: Uint8Array) =>
  new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));

describe('the synchronous SHA-256 behind pkcePair agrees with Web Crypto', () => {
  test('RFC 7636 Appendix B: the S256 challenge of the example verifier', () => {
    expect(base64url(sha256Text('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'))).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  test('every message length from 0 to 200 bytes (each padding case: 55, 56, 63, 64, 119, 120 ...)', async () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = webCrypto.randomBytes(length);
      expect(sha256(bytes), `length ${length}`).toEqual(await webSha256(bytes));
    }
  });

  test('any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1_000 }), async (bytes) => {
        expect(sha256(bytes)).toEqual(await webSha256(bytes));
      }),
    );
  });

  test('any text, as UTF-8 (what webCrypto.sha256 hashes)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => {
        expect(sha256Text(text)).toEqual(await webCrypto.sha256(text));
      }),
    );
  });

  test('does not touch its input', () => {
    const bytes = webCrypto.randomBytes(70);
    const copy = bytes.slice();
    sha256(bytes);
    expect(bytes).toEqual(copy);
  });
});

import { base64url, sha256Base64url, webCrypto } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { cryptoContract } from '../../core/test/crypto-contract.ts';
import { nodeCrypto } from '../src/node.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

cryptoContract('nodeCrypto', nodeCrypto);

describe('nodeCrypto agrees with webCrypto byte for byte', () => {
  test('RFC 6234: the same SHA-256 digests, non-ASCII and lone surrogates included', async () => {
    for (const input of [
      '',
      'abc',
      'sécret ☃ 😀',
      'kbs_x',
      '\u0000',
      'a'.repeat(1000),
      '\ud800 lone surrogate',
    ]) {
      expect(hex(await nodeCrypto.sha256(input))).toBe(hex(await webCrypto.sha256(input)));
    }
  });

  test('sha256Base64url gives the same stored hash with either crypto port', async () => {
    for (const secret of [
      'kbs_abc',
      'kba_QlWNsImfOzWpwW1nDHewzw.pnwAV8Rcujs8WP2N_KoZiXidRtgz3Z33XyDO5nqy2zk',
    ]) {
      expect(await sha256Base64url(nodeCrypto, secret)).toBe(await sha256Base64url(webCrypto, secret));
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

  test('RFC 6749 §10.10: timingSafeEqual matches across implementations', async () => {
    const a = await nodeCrypto.sha256('secret-a');
    expect(nodeCrypto.timingSafeEqual(a, await webCrypto.sha256('secret-a'))).toBe(true);
    expect(webCrypto.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(
      nodeCrypto.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])),
    );
  });
});

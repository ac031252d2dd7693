import { describe, expect, test } from 'vitest';
import { base64url, decodeBase64url, sha256Base64url, webCrypto } from './crypto.ts';
import type { CryptoPort } from './ports.ts';
import { deriveToken, mintToken, newGrantId, parseToken, type TokenKind, tokenPrefixes } from './tokens.ts';

const kinds: TokenKind[] = ['code', 'access_token', 'refresh_token'];
const grantId = 'AAAAAAAAAAAAAAAAAAAAAA';

/** A crypto port that records the random lengths asked for and returns fixed bytes. */
function recordingCrypto(fill = 7): CryptoPort & { lengths: number[] } {
  const lengths: number[] = [];
  return {
    ...webCrypto,
    lengths,
    randomBytes(length) {
      lengths.push(length);
      return new Uint8Array(length).fill(fill);
    },
  };
}

/** Replaces the character at `index` with another base64url character. */
function tamper(value: string, index: number): string {
  const char = value.charAt(index);
  return value.slice(0, index) + (char === 'A' ? 'B' : 'A') + value.slice(index + 1);
}

describe('newGrantId', () => {
  test('DESIGN.md §4: a grant id is 128 bits of base64url (22 characters)', () => {
    const crypto = recordingCrypto();
    const id = newGrantId(crypto);
    expect(crypto.lengths).toEqual([16]);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newGrantId(webCrypto)).not.toBe(newGrantId(webCrypto));
  });
});

describe('mintToken (RFC 6749 §10.10, RFC 6750 §5.2)', () => {
  test.each(kinds)(
    'RFC 6749 §10.10: a minted %s has its prefix, the grant id and a 256-bit secret',
    async (kind) => {
      const token = await mintToken(webCrypto, kind, grantId);
      const prefix = tokenPrefixes[kind];
      expect(token.value.startsWith(`${prefix}${grantId}.`)).toBe(true);
      const secret = token.value.slice(`${prefix}${grantId}.`.length);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(decodeBase64url(secret)).toHaveLength(32);
    },
  );

  test('RFC 6749 §10.10: the secret is 32 bytes straight from the CSPRNG', async () => {
    const crypto = recordingCrypto(0xfb);
    const token = await mintToken(crypto, 'access_token', grantId);
    expect(crypto.lengths).toEqual([32]);
    expect(token.value).toBe(`kba_${grantId}.${base64url(new Uint8Array(32).fill(0xfb))}`);
  });

  test('RFC 6749 §10.10: two minted tokens differ', async () => {
    const a = await mintToken(webCrypto, 'code', grantId);
    const b = await mintToken(webCrypto, 'code', grantId);
    expect(a.value).not.toBe(b.value);
    expect(a.key.hash).not.toBe(b.key.hash);
  });

  test('DESIGN.md §3: the key is the SHA-256 of the whole token, never the token', async () => {
    const token = await mintToken(webCrypto, 'refresh_token', grantId);
    expect(token.key).toEqual({ grantId, hash: await sha256Base64url(webCrypto, token.value) });
    expect(token.key.hash).not.toContain(token.value.slice(-43));
  });

  test('the kind prefixes are distinct and none is a prefix of another', () => {
    const prefixes = Object.values(tokenPrefixes);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b.startsWith(a)).toBe(false);
  });
});

describe('parseToken', () => {
  test.each(kinds)('RFC 6749 §10.10: a minted %s parses back to its kind and key', async (kind) => {
    const token = await mintToken(webCrypto, kind, grantId);
    expect(await parseToken(webCrypto, token.value)).toEqual({ kind, key: token.key });
  });

  test('RFC 6749 §10.10: a tampered secret never parses to the original key', async () => {
    const token = await mintToken(webCrypto, 'access_token', grantId);
    for (const index of [0, 4, 10, token.value.length - 1, token.value.length - 20]) {
      const parsed = await parseToken(webCrypto, tamper(token.value, index));
      expect(parsed?.key.hash, `index ${index}`).not.toBe(token.key.hash);
    }
  });

  test('RFC 6749 §10.10: a tampered grant id parses to another grant', async () => {
    const token = await mintToken(webCrypto, 'access_token', grantId);
    const parsed = await parseToken(webCrypto, tamper(token.value, 5));
    expect(parsed?.key.grantId).toBe(`AB${grantId.slice(2)}`);
    expect(parsed?.key.hash).not.toBe(token.key.hash);
  });

  test('RFC 6750 §5.2: a token minted as one kind is not parsed as another', async () => {
    const token = await mintToken(webCrypto, 'refresh_token', grantId);
    const asAccess = `kba_${token.value.slice(4)}`;
    const parsed = await parseToken(webCrypto, asAccess);
    expect(parsed?.kind).toBe('access_token');
    expect(parsed?.key.hash).not.toBe(token.key.hash);
  });

  const valid = `kba_${grantId}.${'a'.repeat(43)}`;

  test('the shape used below is itself valid', async () => {
    expect(await parseToken(webCrypto, valid)).toMatchObject({ kind: 'access_token' });
  });

  test.each<[string, unknown]>([
    ['a truncated secret', valid.slice(0, -1)],
    ['a truncated grant id', `kba_${grantId.slice(1)}.${'a'.repeat(43)}`],
    ['a secret one character too long', `${valid}a`],
    ['a token over 128 characters', `kba_${grantId}.${'a'.repeat(200)}`],
    ['no dot', `kba_${grantId}${'a'.repeat(43)}`],
    ['two dots', `kba_${grantId}.${'a'.repeat(21)}.${'a'.repeat(21)}`],
    ['an unknown prefix', `kbx_${grantId}.${'a'.repeat(43)}`],
    ['the client secret prefix', `kbs_${'a'.repeat(43)}`],
    ['an upper-case prefix', `KBA_${grantId}.${'a'.repeat(43)}`],
    ['no prefix', `${grantId}.${'a'.repeat(43)}`],
    ['a leading space', ` ${valid}`],
    ['a trailing newline', `${valid}\n`],
    ['a standard-base64 character', `kba_${grantId}.${'a'.repeat(42)}+`],
    ['padding', `kba_${grantId}.${'a'.repeat(42)}=`],
    ['a non-ASCII character', `kba_${grantId}.${'a'.repeat(42)}é`],
    ['only the prefix', 'kba_'],
    ['an empty string', ''],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { toString: () => valid }],
    ['a String object', new String(valid)],
    ['an array', [valid]],
  ])('RFC 6750 §3.1: %s is not a token (undefined)', async (_case, value) => {
    await expect(parseToken(webCrypto, value)).resolves.toBeUndefined();
  });

  test('a malformed token is refused without hashing it', async () => {
    let hashed = 0;
    const counting: CryptoPort = {
      ...webCrypto,
      sha256: (input) => {
        hashed++;
        return webCrypto.sha256(input);
      },
    };
    await parseToken(counting, 'kba_x'.repeat(1000));
    await parseToken(counting, `kba_${grantId}.short`);
    expect(hashed).toBe(0);
  });
});

describe('deriveToken (RFC 9700 §4.14.2)', () => {
  const from = `kbr_${grantId}.${'r'.repeat(43)}`;

  test('RFC 9700 §4.14.2: the same inputs derive the same token', async () => {
    const a = await deriveToken(webCrypto, 'refresh_token', grantId, from, 'nonce-1');
    const b = await deriveToken(webCrypto, 'refresh_token', grantId, from, 'nonce-1');
    expect(a).toEqual(b);
  });

  test.each<[string, [TokenKind, string, string]]>([
    ['another nonce', ['refresh_token', from, 'nonce-2']],
    ['another old token', ['refresh_token', `${from.slice(0, -1)}s`, 'nonce-1']],
    ['another kind', ['access_token', from, 'nonce-1']],
  ])('RFC 9700 §4.14.2: %s derives a different token', async (_case, [kind, source, nonce]) => {
    const base = await deriveToken(webCrypto, 'refresh_token', grantId, from, 'nonce-1');
    const other = await deriveToken(webCrypto, kind, grantId, source, nonce);
    expect(other.value).not.toBe(base.value);
    expect(other.key.hash).not.toBe(base.key.hash);
    expect(other.value.slice(-43)).not.toBe(base.value.slice(-43));
  });

  test('RFC 9700 §4.14.2: the field separator prevents nonce/token boundary shifts', async () => {
    const a = await deriveToken(webCrypto, 'refresh_token', grantId, 'bc', 'a');
    const b = await deriveToken(webCrypto, 'refresh_token', grantId, 'c', 'ab');
    expect(a.value).not.toBe(b.value);
  });

  test.each(kinds)('RFC 6749 §10.10: a derived %s has the token shape and parses back', async (kind) => {
    const token = await deriveToken(webCrypto, kind, grantId, from, 'nonce-1');
    expect(token.value).toMatch(new RegExp(`^${tokenPrefixes[kind]}${grantId}\\.[A-Za-z0-9_-]{43}$`));
    expect(await parseToken(webCrypto, token.value)).toEqual({ kind, key: token.key });
  });

  test('RFC 9700 §4.14.2: a derived token does not contain the old token or the nonce', async () => {
    const token = await deriveToken(webCrypto, 'refresh_token', grantId, from, 'nonce-1');
    expect(token.value).not.toContain('r'.repeat(43));
    expect(token.value).not.toContain('nonce-1');
    expect(token.value).not.toBe(from);
  });

  test('RFC 9700 §4.14.2: derivation uses no randomness', async () => {
    const crypto = recordingCrypto();
    await deriveToken(crypto, 'refresh_token', grantId, from, 'nonce-1');
    expect(crypto.lengths).toEqual([]);
  });
});

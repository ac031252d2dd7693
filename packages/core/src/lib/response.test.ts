import { describe, expect, test } from 'vitest';
import { appendQuery, isWellFormed } from './response.ts';

describe('appendQuery (RFC 6749 §3.1.2, §4.1.2)', () => {
  test('RFC 6749 §4.1.2: adds the parameters as a query to a URI without one', () => {
    expect(appendQuery('https://app.example.com/cb', { code: 'abc', state: 'xyz' })).toBe(
      'https://app.example.com/cb?code=abc&state=xyz',
    );
  });

  test.each([
    'https://app.example.com/cb?tenant=a',
    'https://app.example.com/cb?a=%2F%20+b&c',
    'https://app.example.com/cb?x=%zz',
    'https://app.example.com/cb?A=1&a=2',
    'https://app.example.com/cb?=&&=',
    'https://app.example.com/cb?q=caf%C3%A9',
  ])('RFC 6749 §3.1.2: the existing query of %s is kept byte-exact', (uri) => {
    const result = appendQuery(uri, { code: 'abc' });
    expect(result.startsWith(uri)).toBe(true);
    expect(result).toBe(`${uri}&code=abc`);
  });

  test.each([
    ['https://app.example.com/cb?', 'https://app.example.com/cb?code=abc'],
    ['https://app.example.com/cb?a=1&', 'https://app.example.com/cb?a=1&code=abc'],
  ])('RFC 6749 §3.1.2: %s gets no extra separator', (uri, expected) => {
    expect(appendQuery(uri, { code: 'abc' })).toBe(expected);
  });

  test('RFC 6749 §4.1.2: undefined values are left out, empty strings kept', () => {
    expect(appendQuery('https://a.example/cb', { code: 'c', state: undefined, x: '' })).toBe(
      'https://a.example/cb?code=c&x=',
    );
  });

  test('RFC 6749 §4.1.2: with nothing to add the URI is returned unchanged', () => {
    expect(appendQuery('https://a.example/cb?x=1', {})).toBe('https://a.example/cb?x=1');
    expect(appendQuery('https://a.example/cb', { state: undefined })).toBe('https://a.example/cb');
  });

  test('RFC 9207 §2: parameters keep their order (code, state, iss)', () => {
    const url = new URL(appendQuery('https://a.example/cb', { code: '1', state: '2', iss: 'https://id' }));
    expect([...url.searchParams.keys()]).toEqual(['code', 'state', 'iss']);
  });

  test.each([
    ['ampersand and equals', 'a&b=c'],
    ['plus and space', 'a+b c'],
    ['percent', '100%25 %zz %'],
    ['all specials', "&=+ %#?/;:@!$'()*,[]"],
    ['non-ASCII', 'café ☃ 日本'],
    ['astral characters', '😀𝕏'],
    ['a newline and a tab', 'a\nb\tc'],
    ['quotes and angle brackets', '"<script>\''],
    ['an empty string', ''],
  ])('RFC 6749 §4.1.2, Appendix B: a value with %s round-trips through URLSearchParams', (_case, value) => {
    const base = 'https://app.example.com/cb?keep=%2B1';
    const url = new URL(appendQuery(base, { state: value, iss: 'https://id.example.com/t?x' }));
    expect(url.searchParams.get('state')).toBe(value);
    expect(url.searchParams.get('iss')).toBe('https://id.example.com/t?x');
    expect(url.searchParams.get('keep')).toBe('+1');
    expect(url.searchParams.getAll('state')).toHaveLength(1);
    expect(url.hash).toBe('');
  });

  test('RFC 6749 §4.1.2: a hostile value cannot inject a parameter', () => {
    const url = new URL(appendQuery('https://a.example/cb', { state: 'x&code=evil', code: 'real' }));
    expect(url.searchParams.getAll('code')).toEqual(['real']);
  });

  test('RFC 6749 §4.1.2: names are encoded too', () => {
    const url = new URL(appendQuery('https://a.example/cb', { 'a&b=': 'v' }));
    expect(url.searchParams.get('a&b=')).toBe('v');
  });

  test('RFC 8252 §7.1: works on a private-use scheme URI', () => {
    expect(appendQuery('com.example.app:/cb', { code: 'a b' })).toBe('com.example.app:/cb?code=a%20b');
  });
});

describe('isWellFormed (RFC 3629 §3)', () => {
  test.each([
    ['', true],
    ['ascii', true],
    ['café', true],
    ['😀', true],
    ['a😀b😀', true],
    ['\uD800', false],
    ['\uDFFF', false],
    ['a\uD83Db', false],
    ['a\uDE00b', false],
    ['\uDE00\uD83D', false],
    ['😀\uD800', false],
    ['\uDC00😀', false],
  ])('RFC 3629 §3: isWellFormed(%j) is %s', (text, expected) => {
    expect(isWellFormed(text)).toBe(expected);
  });

  test('RFC 3629 §3: agrees with encodeURIComponent on what can be encoded', () => {
    for (const text of ['ok', '😀', '\uD800', 'x\uDBFF', '\uDC00y', '\uD83D\uDE00\uDE00']) {
      let encodable = true;
      try {
        encodeURIComponent(text);
      } catch {
        encodable = false;
      }
      expect(isWellFormed(text), JSON.stringify(text)).toBe(encodable);
    }
  });
});

describe('appendQuery never throws (RFC 3986 §2.5)', () => {
  test('RFC 3986 §2.5: a lone surrogate is encoded as U+FFFD instead of throwing', () => {
    const url = appendQuery('https://a.example/cb', { state: 'x\uD800y' });
    expect(new URL(url).searchParams.get('state')).toBe('x\uFFFDy');
  });
});

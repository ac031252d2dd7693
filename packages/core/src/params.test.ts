import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../test/result.ts';
import { normalizeParams, repeated, single } from './params.ts';

function entries(params: ReadonlyMap<string, readonly string[]>): [string, readonly string[]][] {
  return [...params.entries()];
}

describe('normalizeParams: the three input shapes', () => {
  test('RFC 6749 §3.1: URLSearchParams keeps every repeated value, in order', () => {
    const params = normalizeParams(new URLSearchParams('scope=a&state=x&scope=b&scope=c'));
    expect(entries(params)).toEqual([
      ['scope', ['a', 'b', 'c']],
      ['state', ['x']],
    ]);
  });

  test('RFC 6749 Appendix B: URLSearchParams form-decoding is kept (+ is a space, %26 an ampersand)', () => {
    const params = normalizeParams(new URLSearchParams('state=a+b%26c%3Dd&empty='));
    expect(params.get('state')).toEqual(['a b&c=d']);
    expect(params.get('empty')).toEqual(['']);
  });

  test('RFC 6749 §3.1: name/value pairs keep repeats', () => {
    const params = normalizeParams([
      ['client_id', 'a'],
      ['client_id', 'b'],
      ['scope', 'openid'],
    ]);
    expect(entries(params)).toEqual([
      ['client_id', ['a', 'b']],
      ['scope', ['openid']],
    ]);
  });

  test('RFC 6749 §3.1: a Map is read as pairs', () => {
    const params = normalizeParams(new Map([['scope', 'openid']]));
    expect(params.get('scope')).toEqual(['openid']);
  });

  test('RFC 6749 §3.1: a generator of pairs is read', () => {
    function* pairs(): Generator<[string, string]> {
      yield ['a', '1'];
      yield ['a', '2'];
    }
    expect(normalizeParams(pairs()).get('a')).toEqual(['1', '2']);
  });

  test('RFC 6749 §3.1: a record with an array value is a repeated parameter', () => {
    const params = normalizeParams({ scope: ['a', 'b'], state: 'x', missing: undefined });
    expect(entries(params)).toEqual([
      ['scope', ['a', 'b']],
      ['state', ['x']],
    ]);
  });

  test('RFC 6749 §3.1: a record with a one-element array is a single parameter', () => {
    expect(okValue(single(normalizeParams({ scope: ['a'] }), 'scope'))).toBe('a');
  });

  test('RFC 6749 §3.1: a record with an empty array sends nothing', () => {
    expect(normalizeParams({ scope: [] }).has('scope')).toBe(false);
  });

  test('RFC 6749 §3.1: parameter names are case-sensitive', () => {
    const params = normalizeParams([
      ['state', 'a'],
      ['State', 'b'],
    ]);
    expect(params.get('state')).toEqual(['a']);
    expect(params.get('State')).toEqual(['b']);
  });

  test('RFC 6749 §3.1: a __proto__ key is just a parameter name', () => {
    const params = normalizeParams(JSON.parse('{"__proto__": "x", "constructor": "y"}'));
    expect(params.get('__proto__')).toEqual(['x']);
    expect(params.get('constructor')).toEqual(['y']);
    expect(normalizeParams({}).get('constructor')).toBeUndefined();
  });
});

describe('normalizeParams: junk input never throws', () => {
  const throwingIterable = {
    *[Symbol.iterator]() {
      yield ['a', '1'];
      throw new Error('boom');
    },
  };
  const throwingGetter = Object.defineProperty({}, 'scope', {
    enumerable: true,
    get() {
      throw new Error('boom');
    },
  });
  const hostileProxy = new Proxy(
    {},
    {
      has() {
        throw new Error('boom');
      },
      ownKeys() {
        throw new Error('boom');
      },
    },
  );
  const badIteratorProperty = { [Symbol.iterator]: 42 };
  const iteratorReturningJunk = {
    [Symbol.iterator]() {
      return { next: () => 'not an iterator result' };
    },
  };

  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['NaN', Number.NaN],
    ['a bigint', 42n],
    ['a string', 'scope=openid'],
    ['a boolean', true],
    ['a symbol', Symbol('x')],
    ['a function', () => [['a', 'b']]],
    ['an iterable that throws', throwingIterable],
    ['an object with a throwing getter', throwingGetter],
    ['a proxy whose traps throw', hostileProxy],
    ['a non-callable Symbol.iterator', badIteratorProperty],
    ['an iterator returning junk', iteratorReturningJunk],
    ['a list of non-pairs', [1, 'a', null, undefined, {}, 'ab']],
    [
      'pairs of junk',
      [
        [1, 2],
        [null, 'x'],
        [Symbol('s'), 'y'],
        [{}, []],
      ],
    ],
    ['a record of junk values', { a: 1, b: null, c: { x: 1 }, d: [1, null, 'ok'], e: true }],
    ['a frozen empty object', Object.freeze({})],
    ['a Date', new Date(0)],
  ])('RFC 6749 §3.1: %s does not throw', (_case, input) => {
    expect(() => normalizeParams(input)).not.toThrow();
    expect(normalizeParams(input)).toBeInstanceOf(Map);
  });

  test('RFC 6749 §3.1: non-object inputs give no parameters', () => {
    for (const input of [undefined, null, 42, 'client_id=a', true]) {
      expect(normalizeParams(input).size).toBe(0);
    }
  });

  test('RFC 6749 §3.1: an iterable that throws keeps what it yielded before', () => {
    expect(normalizeParams(throwingIterable).get('a')).toEqual(['1']);
  });

  test('RFC 6749 §3.1: a throwing getter gives no parameters rather than a throw', () => {
    expect(normalizeParams(throwingGetter).has('scope')).toBe(false);
  });

  test('RFC 6749 §3.1: iterable entries that are not [name, value] arrays are dropped', () => {
    const arrayLike = { 0: 'client_id', 1: 'x', length: 2 };
    expect(normalizeParams(['ab', 'client_id', arrayLike, null, 7] as unknown).size).toBe(0);
    expect(normalizeParams(new Set(['scope=openid'])).size).toBe(0);
  });

  test('RFC 6749 §3.1: non-string names are dropped and non-string values become empty', () => {
    const params = normalizeParams([[1, 'x'], ['a', 2], ['b', null], ['c', 'ok'], ['d']] as unknown);
    expect(entries(params)).toEqual([
      ['a', ['']],
      ['b', ['']],
      ['c', ['ok']],
      ['d', ['']],
    ]);
  });

  test('RFC 6749 §3.1: non-string record values become empty values, and read as omitted', () => {
    const params = normalizeParams({ a: 1, b: null, d: [1, 'ok'] } as unknown);
    expect(params.get('a')).toEqual(['']);
    expect(params.get('b')).toEqual(['']);
    expect(params.get('d')).toEqual(['', 'ok']);
    expect(okValue(single(params, 'a'))).toBeUndefined();
  });
});

describe('single (RFC 6749 §3.1)', () => {
  test('RFC 6749 §3.1: a parameter sent once is its value', () => {
    expect(okValue(single(normalizeParams({ state: 'x' }), 'state'))).toBe('x');
  });

  test('RFC 6749 §3.1: a missing parameter is undefined', () => {
    expect(okValue(single(normalizeParams({}), 'state'))).toBeUndefined();
  });

  test('RFC 6749 §3.1: a parameter sent without a value is treated as omitted', () => {
    expect(okValue(single(normalizeParams(new URLSearchParams('state=')), 'state'))).toBeUndefined();
    expect(okValue(single(normalizeParams(new URLSearchParams('state')), 'state'))).toBeUndefined();
  });

  test('RFC 6749 §3.1: a value of spaces is a value, not omitted', () => {
    expect(okValue(single(normalizeParams({ state: ' ' }), 'state'))).toBe(' ');
  });

  test.each<[string, unknown]>([
    ['URLSearchParams', new URLSearchParams('client_id=a&client_id=b')],
    [
      'pairs',
      [
        ['client_id', 'a'],
        ['client_id', 'a'],
      ],
    ],
    ['a record with an array', { client_id: ['a', 'b'] }],
    ['empty repeats', new URLSearchParams('client_id=&client_id=')],
    ['a value and an empty repeat', new URLSearchParams('client_id=a&client_id=')],
  ])('RFC 6749 §3.1: a parameter repeated in %s is invalid_request', (_case, input) => {
    const error = errValue(single(normalizeParams(input), 'client_id'));
    expect(error.error).toBe('invalid_request');
    expect(error.description).toContain('client_id');
  });

  test('RFC 6749 §5.2: a name outside our vocabulary is not echoed in the description', () => {
    const name = 'x<script>';
    const error = errValue(
      single(
        normalizeParams([
          [name, '1'],
          [name, '2'],
        ]),
        name,
      ),
    );
    expect(error.description).not.toContain('script');
    expect(error.description).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('repeated (RFC 6749 §3.1)', () => {
  const params = normalizeParams(new URLSearchParams('a=1&b=1&b=2&c=&c=&d=1'));

  test('RFC 6749 §3.1: finds the first listed name sent more than once', () => {
    expect(repeated(params, ['a', 'b', 'c'])).toBe('b');
    expect(repeated(params, ['c', 'b'])).toBe('c');
  });

  test('RFC 6749 §3.1: names sent once or never are not repeats', () => {
    expect(repeated(params, ['a', 'd', 'zzz'])).toBeUndefined();
  });

  test('RFC 6749 §3.1: repeats of unlisted names are ignored', () => {
    expect(repeated(params, [])).toBeUndefined();
  });
});

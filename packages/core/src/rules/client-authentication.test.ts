import { describe, expect, test } from 'vitest';
import { errValue, okValue } from '../../test/result.ts';
import { normalizeParams } from '../params.ts';
import type { ClientRecord, TokenEndpointAuthMethod } from '../ports.ts';
import {
  authenticateClient,
  type PresentedCredentials,
  readClientCredentials,
} from './client-authentication.ts';

/** `Basic` header over raw bytes (no form-encoding applied). */
function basicBytes(bytes: Uint8Array | string, scheme = 'Basic'): string {
  return `${scheme} ${Buffer.from(bytes).toString('base64')}`;
}

/** RFC 6749 Appendix B: form-encode each half, then RFC 7617 Basic. */
function basic(id: string, secret: string): string {
  const form = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return basicBytes(`${form(id)}:${form(secret)}`);
}

function read(authorization: string | undefined, body: [string, string][] = []) {
  return readClientCredentials(authorization, normalizeParams(body));
}

describe('readClientCredentials: HTTP Basic (RFC 6749 §2.3.1, Appendix B)', () => {
  test('RFC 6749 §2.3.1: Basic credentials give client_secret_basic', () => {
    expect(okValue(read(basic('client-1', 's3cret')))).toEqual({
      method: 'client_secret_basic',
      clientId: 'client-1',
      secret: 's3cret',
    });
  });

  test.each([
    ['+ decodes to a space', 'my+client:s+e', 'my client', 's e'],
    ['%2B decodes to a plus', 'a%2Bb:c%2Bd', 'a+b', 'c+d'],
    ['%3A decodes to a colon in the id', 'urn%3Aclient:secret', 'urn:client', 'secret'],
    ['a raw colon stays in the secret', 'id:se:cr:et', 'id', 'se:cr:et'],
    ['%25 decodes to a percent sign', '100%25:50%25', '100%', '50%'],
    ['percent-encoded UTF-8', 'cl%C3%AFent:s%C3%A9cret%E2%98%83', 'clïent', 'sécret☃'],
    ['raw UTF-8', 'clïent:sécret😀', 'clïent', 'sécret😀'],
    ['an empty secret', 'client:', 'client', ''],
  ])('RFC 6749 Appendix B: %s', (_case, raw, id, secret) => {
    expect(okValue(read(basicBytes(raw)))).toEqual({ method: 'client_secret_basic', clientId: id, secret });
  });

  test('RFC 6749 Appendix B: a round trip of form-encoding keeps every character', () => {
    const id = 'a b+c:d%e&f=g/é';
    const secret = " :+%/?#[]@!$&'()*,;=😀";
    expect(okValue(read(basic(id, secret)))).toMatchObject({ clientId: id, secret });
  });

  test.each(['Basic', 'basic', 'BASIC', 'bAsIc'])(
    'RFC 7617 §2, RFC 7235 §2.1: the scheme %s is case-insensitive',
    (scheme) => {
      expect(okValue(read(basicBytes('client-1:s3cret', scheme)))).toMatchObject({
        method: 'client_secret_basic',
        clientId: 'client-1',
      });
    },
  );

  test('RFC 7235 §2.1: extra spaces around the token are tolerated', () => {
    const header = `Basic   ${Buffer.from('client-1:s3cret').toString('base64')}  `;
    expect(okValue(read(header)).clientId).toBe('client-1');
  });

  test.each([
    ['bad base64 characters', 'Basic !!!!'],
    ['a base64 length not a multiple of 4', 'Basic YWJjZA'],
    ['too much padding', 'Basic YW===='],
    ['padding only', 'Basic ===='],
    ['an empty token', 'Basic '],
    ['whitespace inside the token', 'Basic YWJj ZGVm'],
    ['the base64url alphabet', `Basic ${Buffer.from('??>:?>').toString('base64url')}`],
    ['no colon', basicBytes('client-1')],
    ['an empty client id', basicBytes(':secret')],
    ['only a colon', basicBytes(':')],
    ['bad percent-encoding in the id', basicBytes('%ZZ:secret')],
    ['bad percent-encoding in the secret', basicBytes('client:%')],
    ['a truncated percent escape', basicBytes('client:%E2%98')],
    ['percent-encoded invalid UTF-8', basicBytes('%FF:secret')],
    ['a percent-encoded lone surrogate', basicBytes('%ED%A0%80:secret')],
    ['invalid UTF-8 bytes', basicBytes(new Uint8Array([0xff, 0xfe, 0x3a, 0x61]))],
    ['an overlong UTF-8 encoding', basicBytes(new Uint8Array([0xc0, 0xba, 0x61, 0x3a, 0x62]))],
    ['a truncated UTF-8 sequence', basicBytes(new Uint8Array([0x61, 0x3a, 0xe2, 0x98]))],
    ['a second token', `${basicBytes('a:b')} ${Buffer.from('c:d').toString('base64')}`],
  ])('RFC 6749 §2.3.1: malformed Basic (%s) is invalid_client with basicAuth', (_case, header) => {
    let result: ReturnType<typeof read> | undefined;
    expect(() => {
      result = read(header);
    }).not.toThrow();
    const error = errValue(result as ReturnType<typeof read>);
    expect(error).toMatchObject({ error: 'invalid_client', basicAuth: true });
  });

  test.each([
    ['Bearer', 'Bearer abc.def'],
    ['Digest', 'Digest username="client-1"'],
    ['a scheme that only starts with Basic', `Basicx ${Buffer.from('a:b').toString('base64')}`],
    ['a raw id:secret', 'client-1:s3cret'],
  ])(
    'RFC 6749 §5.2: a non-Basic scheme (%s) is invalid_client answered as a header attempt (401)',
    (_case, header) => {
      expect(errValue(read(header, [['client_id', 'client-1']]))).toMatchObject({
        error: 'invalid_client',
        basicAuth: true,
      });
    },
  );

  test('RFC 6749 §2.3: Basic plus a body client_secret is invalid_request', () => {
    const error = errValue(read(basic('client-1', 's3cret'), [['client_secret', 's3cret']]));
    expect(error.error).toBe('invalid_request');
  });

  test('RFC 6749 §2.3: Basic plus a body client_secret is refused even when Basic is malformed', () => {
    expect(errValue(read('Basic !!!!', [['client_secret', 'x']])).error).toBe('invalid_request');
  });

  test('RFC 6749 §2.3: Basic plus a different body client_id is invalid_request', () => {
    const error = errValue(read(basic('client-1', 's3cret'), [['client_id', 'client-2']]));
    expect(error.error).toBe('invalid_request');
  });

  test('RFC 6749 §2.3: the body client_id differing only in case is a different client', () => {
    expect(errValue(read(basic('client-1', 's3cret'), [['client_id', 'CLIENT-1']])).error).toBe(
      'invalid_request',
    );
  });

  test('RFC 6749 §2.3.1: Basic plus the same body client_id is accepted', () => {
    expect(okValue(read(basic('client 1', 's3cret'), [['client_id', 'client 1']]))).toEqual({
      method: 'client_secret_basic',
      clientId: 'client 1',
      secret: 's3cret',
    });
  });

  test('RFC 6749 §3.1: Basic plus an empty body client_secret treats it as omitted', () => {
    expect(okValue(read(basic('client-1', 's3cret'), [['client_secret', '']])).method).toBe(
      'client_secret_basic',
    );
  });

  test('RFC 6749 §3.2: Basic plus a repeated body client_id is invalid_request', () => {
    const error = errValue(
      read(basic('client-1', 's3cret'), [
        ['client_id', 'client-1'],
        ['client_id', 'client-1'],
      ]),
    );
    expect(error.error).toBe('invalid_request');
  });
});

describe('readClientCredentials: request body (RFC 6749 §2.3.1, §2.1)', () => {
  test('RFC 6749 §2.3.1: client_id and client_secret in the body give client_secret_post', () => {
    expect(
      okValue(
        read(undefined, [
          ['client_id', 'client-1'],
          ['client_secret', 's3cret'],
        ]),
      ),
    ).toEqual({ method: 'client_secret_post', clientId: 'client-1', secret: 's3cret' });
  });

  test('RFC 6749 §2.1, §4.1.3: client_id alone gives none (public client)', () => {
    expect(okValue(read(undefined, [['client_id', 'spa']]))).toEqual({ method: 'none', clientId: 'spa' });
  });

  test('RFC 6749 §3.1: an empty client_secret is omitted, so the request is method none', () => {
    expect(
      okValue(
        read(undefined, [
          ['client_id', 'spa'],
          ['client_secret', ''],
        ]),
      ).method,
    ).toBe('none');
  });

  test('RFC 6749 §3.1: an empty Authorization header counts as absent', () => {
    expect(okValue(read('', [['client_id', 'spa']])).method).toBe('none');
  });

  test.each<[string, [string, string][]]>([
    ['no credentials at all', []],
    ['an empty client_id', [['client_id', '']]],
    ['a client_secret without client_id', [['client_secret', 's3cret']]],
  ])('RFC 6749 §5.2: %s is invalid_client without basicAuth', (_case, body) => {
    expect(errValue(read(undefined, body))).toMatchObject({ error: 'invalid_client', basicAuth: false });
  });

  test.each<[string, [string, string][]]>([
    [
      'a repeated client_id',
      [
        ['client_id', 'a'],
        ['client_id', 'b'],
      ],
    ],
    [
      'a repeated identical client_id',
      [
        ['client_id', 'a'],
        ['client_id', 'a'],
      ],
    ],
    [
      'a repeated client_secret',
      [
        ['client_id', 'a'],
        ['client_secret', 'x'],
        ['client_secret', 'y'],
      ],
    ],
  ])('RFC 6749 §3.2: %s is invalid_request', (_case, body) => {
    expect(errValue(read(undefined, body)).error).toBe('invalid_request');
  });

  test('RFC 6749 §5.2: a credentials error never echoes the presented secret', () => {
    const error = errValue(read(basicBytes('%ZZ:topsecret-value')));
    expect(JSON.stringify(error)).not.toContain('topsecret');
  });
});

describe('authenticateClient (RFC 6749 §2.3.1, §3.2.1)', () => {
  const confidential = (method: TokenEndpointAuthMethod): ClientRecord => ({
    id: 'client-1',
    name: 'Client',
    redirectUris: ['https://app.example.com/cb'],
    tokenEndpointAuthMethod: method,
    ...(method === 'none' ? {} : { secretHash: 'x'.repeat(43) }),
    grantTypes: ['authorization_code'],
    scopes: ['openid'],
  });
  const presented = (method: TokenEndpointAuthMethod): PresentedCredentials =>
    method === 'none' ? { method, clientId: 'client-1' } : { method, clientId: 'client-1', secret: 's3cret' };

  test.each<TokenEndpointAuthMethod>(['client_secret_basic', 'client_secret_post'])(
    'RFC 6749 §2.3.1: %s with the matching secret authenticates',
    (method) => {
      const client = confidential(method);
      expect(okValue(authenticateClient(client, presented(method), true))).toBe(client);
    },
  );

  test('RFC 6749 §2.1: a public client authenticates with none, whatever secretMatches says', () => {
    const client = confidential('none');
    expect(okValue(authenticateClient(client, presented('none'), false))).toBe(client);
  });

  test.each<[TokenEndpointAuthMethod, boolean]>([
    ['client_secret_basic', true],
    ['client_secret_post', false],
    ['none', false],
  ])(
    'RFC 6749 §5.2: an unknown client presenting %s is invalid_client (basicAuth %s)',
    (method, basicAuth) => {
      expect(errValue(authenticateClient(undefined, presented(method), true))).toMatchObject({
        error: 'invalid_client',
        basicAuth,
      });
    },
  );

  test.each<[TokenEndpointAuthMethod, TokenEndpointAuthMethod]>([
    ['client_secret_basic', 'client_secret_post'],
    ['client_secret_basic', 'none'],
    ['client_secret_post', 'client_secret_basic'],
    ['client_secret_post', 'none'],
    ['none', 'client_secret_basic'],
    ['none', 'client_secret_post'],
  ])('RFC 6749 §2.3: a client registered for %s presenting %s is invalid_client', (registered, used) => {
    const error = errValue(authenticateClient(confidential(registered), presented(used), true));
    expect(error).toMatchObject({ error: 'invalid_client', basicAuth: used === 'client_secret_basic' });
  });

  test.each<TokenEndpointAuthMethod>(['client_secret_basic', 'client_secret_post'])(
    'RFC 6749 §2.3.1: %s with a wrong secret is invalid_client',
    (method) => {
      const error = errValue(authenticateClient(confidential(method), presented(method), false));
      expect(error).toMatchObject({ error: 'invalid_client', basicAuth: method === 'client_secret_basic' });
    },
  );

  test('RFC 6749 §5.2: unknown client and wrong secret look the same to the client', () => {
    const unknown = errValue(authenticateClient(undefined, presented('client_secret_post'), true));
    const wrong = errValue(
      authenticateClient(confidential('client_secret_post'), presented('client_secret_post'), false),
    );
    expect(unknown.description).toBe(wrong.description);
    expect(unknown.error).toBe(wrong.error);
  });
});

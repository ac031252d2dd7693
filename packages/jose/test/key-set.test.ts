import { generateKeyPairSync } from 'node:crypto';
import { createJoseSigner, type Jwk } from '@kraikub/jose';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { describe, expect, test } from 'vitest';
import { key, publicOnly } from './support.ts';

const es = () => key('ES256', 'es');
const create = (keys: readonly unknown[], active?: string) =>
  createJoseSigner({ keys: { keys: keys as Jwk[] }, ...(active === undefined ? {} : { active }) });

function rsaJwk(modulusLength: number): Jwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength });
  return privateKey.export({ format: 'jwk' }) as Jwk;
}

function nodeJwk(type: 'ec' | 'ed25519' | 'ed448' | 'x25519', namedCurve?: string): Jwk {
  const { privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: namedCurve ?? 'P-256' })
      : generateKeyPairSync(type as 'ed25519');
  return privateKey.export({ format: 'jwk' }) as Jwk;
}

describe('alg and kid, when the host leaves them out', () => {
  test.each([
    ['EC P-256', () => nodeJwk('ec', 'P-256'), 'ES256'],
    ['EC P-384', () => nodeJwk('ec', 'P-384'), 'ES384'],
    ['EC P-521', () => nodeJwk('ec', 'P-521'), 'ES512'],
    ['RSA', () => rsaJwk(2048), 'RS256'],
    ['OKP Ed25519', () => nodeJwk('ed25519'), 'EdDSA'],
  ] as const)('%s signs with %s, under its RFC 7638 thumbprint', async (_name, make, alg) => {
    const jwk = make();
    const signer = await create([jwk]);
    expect(signer.algorithm).toBe(alg);
    const thumbprint = await calculateJwkThumbprint(jwk as JWK, 'sha256');
    expect(signer.kid).toBe(thumbprint);
    expect((await signer.publicKeys()).keys[0]).toMatchObject({ kid: thumbprint, alg, use: 'sig' });
  });
});

describe('a bad key set is a TypeError naming the bad key', () => {
  const cases: [string, () => Promise<unknown[]>, RegExp, string?][] = [
    ['no key', async () => [], /keys holds no key/],
    ['a key that is not an object', async () => [await es(), 'key'], /keys\[1\]: is not a JSON object/],
    [
      'a symmetric key',
      async () => [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', kid: 'hmac' }],
      /keys\[0\] \(kid "hmac"\): symmetric keys are refused/,
    ],
    [
      'an HMAC alg on an asymmetric key',
      async () => [{ ...(await es()), alg: 'HS256' }],
      /keys\[0\] \(kid "es"\): symmetric keys are refused/,
    ],
    [
      'alg none',
      async () => [{ ...(await es()), alg: 'none' }],
      /keys\[0\] \(kid "es"\): alg "none" is refused/,
    ],
    ['an unknown alg', async () => [{ ...(await es()), alg: 'ES257' }], /unsupported alg "ES257"/],
    [
      'an alg for another key type',
      async () => [await es(), { ...(await key('EdDSA', 'ed')), alg: 'RS256' }],
      /keys\[1\] \(kid "ed"\): alg RS256 needs a key of kty "RSA"/,
    ],
    [
      'an alg for another curve',
      async () => [{ ...(await es()), alg: 'ES384' }],
      /keys\[0\] \(kid "es"\): alg ES384 needs a key of kty "EC" crv "P-384"/,
    ],
    [
      'use other than sig',
      async () => [{ ...(await es()), use: 'enc' }],
      /keys\[0\] \(kid "es"\): use must be "sig"/,
    ],
    [
      'key_ops for encryption',
      async () => [{ ...(await es()), key_ops: ['encrypt'] }],
      /key_ops may only hold "sign" and "verify"/,
    ],
    ['an unknown kty', async () => [{ kty: 'AKP', kid: 'pq' }], /keys\[0\] \(kid "pq"\): kty must be/],
    ['an empty kid', async () => [{ ...(await es()), kid: '' }], /keys\[0\]: kid must be a non-empty string/],
    [
      'a curve with no JWS algorithm to infer (Ed448)',
      async () => [nodeJwk('ed448')],
      /keys\[0\]: no signing algorithm for kty "OKP" crv "Ed448"; set alg/,
    ],
    [
      'an encryption curve (X25519)',
      async () => [nodeJwk('x25519')],
      /keys\[0\]: no signing algorithm for kty "OKP" crv "X25519"/,
    ],
    [
      'RSA under 2048 bits',
      async () => [{ ...rsaJwk(1024), kid: 'small' }],
      /keys\[0\] \(kid "small"\): RSA modulus of 1024 bits; at least 2048 are required/,
    ],
    [
      'a missing public member',
      async () => [{ ...(await es()), y: undefined }],
      /keys\[0\] \(kid "es"\): y must be a non-empty string/,
    ],
    [
      'material that does not import',
      async () => [{ ...(await es()), x: 'AAAA' }],
      /keys\[0\] \(kid "es"\): the key material does not import as ES256/,
    ],
    [
      'an EC private part of another key (Web Crypto refuses the import)',
      async () => [{ ...(await es()), d: (await key('ES256', 'other')).d }],
      /keys\[0\] \(kid "es"\): the key material does not import as ES256/,
    ],
    [
      'an RSA private part of another key (the signing probe fails)',
      async () => {
        const { d, p, q, dp, dq, qi } = await key('RS256', 'other');
        return [{ ...(await key('RS256', 'r')), d, p, q, dp, dq, qi }];
      },
      /keys\[0\] \(kid "r"\): the private part does not match the public part/,
    ],
    [
      'a duplicate kid',
      async () => [await es(), await key('ES256', 'b'), { ...(await key('RS256', 'r')), kid: 'es' }],
      /keys\[2\] \(kid "es"\): duplicate kid "es" \(also keys\[0\] \(kid "es"\)\)/,
    ],
    [
      'a duplicate key under no kid (same thumbprint)',
      async () => {
        const { kid: _kid, ...bare } = await es();
        return [bare, bare];
      },
      /keys\[1\]: duplicate kid "[\w-]{43}" \(also keys\[0\]\)/,
    ],
    [
      'an active key without its private part',
      async () => [publicOnly(await es()), await key('ES256', 'b')],
      /keys\[0\] \(kid "es"\): the active key has no private part \(d\)/,
    ],
    [
      'an active kid that is not in the set',
      async () => [await es(), await key('ES256', 'b')],
      /active: no key has kid "c" \(kids: "es", "b"\)/,
      'c',
    ],
    [
      'an active kid naming a published-only key',
      async () => [await es(), publicOnly(await key('ES256', 'b'))],
      /keys\[1\] \(kid "b"\): the active key has no private part/,
      'b',
    ],
  ];

  test.each(cases)('%s', async (_name, keys, message, active) => {
    const list = await keys();
    const error = await create(list, active).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    // The message names the key; it never quotes private material.
    for (const jwk of list) {
      const d = (jwk as Jwk | undefined)?.d;
      if (typeof d === 'string') expect((error as Error).message).not.toContain(d);
    }
  });

  test('keys that are not a JWKS', async () => {
    for (const keys of [undefined, null, [], 'jwks', { keys: 'none' }]) {
      await expect(createJoseSigner({ keys: keys as never })).rejects.toThrow(/keys must be a JWKS/);
    }
    await expect(createJoseSigner(undefined as never)).rejects.toThrow(TypeError);
  });

  test('sign refuses what is not a claims object or has no typ; at_hash refuses a non-ASCII token', async () => {
    const signer = await create([await es()]);
    await expect(signer.sign([] as never, { typ: 'JWT' })).rejects.toThrow(/claims must be an object/);
    await expect(signer.sign({}, { typ: '' as never })).rejects.toThrow(/typ is required/);
    await expect(signer.sign({}, { typ: 'JWT', accessToken: 'tøken' })).rejects.toThrow(/ASCII/);
    await expect(signer.sign({}, { typ: 'JWT', accessToken: '' })).rejects.toThrow(/ASCII/);
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SignerPort } from '@kraikub/core';
import { atHash, createJoseSigner, type PrivateJwks } from '@kraikub/jose';
import {
  CompactSign,
  createLocalJWKSet,
  createRemoteJWKSet,
  FlattenedSign,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { algorithms, b64, decode, expectedAtHash, key, publicOnly } from './support.ts';

const issuer = 'https://id.example.com';
const now = Math.floor(Date.now() / 1000);
const claims = { iss: issuer, sub: 'alice', aud: 'app', iat: now, exp: now + 300, nonce: 'n-0S6' };
const accessToken = 'SlAV32hkKG.2YotnFZFEjr1zCsicMWpAA-_~+/';

describe('sign and verify round trips', () => {
  test.each(algorithms)(
    '%s: header { alg, kid, typ }, at_hash, and verify returns the claims',
    async (alg, hash) => {
      const signer = await createJoseSigner({ keys: { keys: [await key(alg, `k-${alg}`)] } });
      expect(signer.algorithm).toBe(alg);
      expect(signer.algorithms).toEqual([alg]);
      expect(signer.kid).toBe(`k-${alg}`);

      const idToken = await signer.sign(claims, { typ: 'JWT', accessToken });
      expect(idToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const { header, payload } = decode(idToken);
      expect(header).toEqual({ alg, kid: `k-${alg}`, typ: 'JWT' });
      expect(payload).toEqual({ ...claims, at_hash: expectedAtHash(accessToken, hash) });
      expect(await atHash(accessToken, alg)).toBe(expectedAtHash(accessToken, hash));
      expect(await signer.verify(idToken, { typ: 'JWT' })).toEqual(payload);

      const jwtAccessToken = await signer.sign({ ...claims, client_id: 'app' }, { typ: 'at+jwt' });
      expect(decode(jwtAccessToken).header).toEqual({ alg, kid: `k-${alg}`, typ: 'at+jwt' });
      expect(decode(jwtAccessToken).payload).not.toHaveProperty('at_hash');
      expect(await signer.verify(jwtAccessToken, { typ: 'at+jwt' })).toEqual({ ...claims, client_id: 'app' });
    },
  );

  test('at_hash has the half-length of each hash: 16, 24 and 32 bytes', async () => {
    for (const [alg, length] of [
      ['ES256', 22],
      ['RS384', 32],
      ['EdDSA', 43],
    ] as const) {
      expect((await atHash('token', alg)).length, alg).toBe(length);
    }
  });

  test('sign never lets the claims set the at_hash of another token, nor alter the caller object', async () => {
    const signer = await createJoseSigner({ keys: { keys: [await key('ES256', 'a')] } });
    const input = Object.freeze({ ...claims, at_hash: 'forged' });
    const token = await signer.sign(input, { typ: 'JWT', accessToken });
    expect(decode(token).payload.at_hash).toBe(expectedAtHash(accessToken, 'sha256'));
    expect(input.at_hash).toBe('forged');
  });

  test('verify does not check exp: an expired ID Token is still a valid id_token_hint', async () => {
    const signer = await createJoseSigner({ keys: { keys: [await key('ES256', 'a')] } });
    const expired = await signer.sign({ ...claims, iat: 1, exp: 2 }, { typ: 'JWT' });
    expect(await signer.verify(expired, { typ: 'JWT' })).toMatchObject({ exp: 2 });
  });

  test('typ compares case-insensitively, with or without application/ (RFC 7515 section 4.1.9)', async () => {
    const jwk = await key('ES256', 'a');
    const signer = await createJoseSigner({ keys: { keys: [jwk] } });
    const privateKey = await importJWK(jwk as JWK, 'ES256');
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'a', typ: 'application/AT+JWT' })
      .sign(privateKey);
    expect(await signer.verify(token, { typ: 'at+jwt' })).toEqual(claims);
    expect(await signer.verify(token, { typ: 'JWT' })).toBeUndefined();
  });

  test('the signer is core SignerPort', () => {
    expectTypeOf(createJoseSigner).returns.resolves.toExtend<SignerPort>();
  });
});

describe('verify refuses, returning undefined and never throwing', () => {
  const setup = async () => {
    const jwk = await key('ES256', 'a');
    const signer = await createJoseSigner({ keys: { keys: [jwk, await key('RS256', 'r')] } });
    const token = await signer.sign(claims, { typ: 'JWT' });
    return { jwk, signer, token };
  };

  test('a tampered payload, signature or header', async () => {
    const { signer, token } = await setup();
    const [header, payload, signature = ''] = token.split('.');
    const forgedPayload = b64({ ...claims, sub: 'mallory' });
    expect(await signer.verify(`${header}.${forgedPayload}.${signature}`, { typ: 'JWT' })).toBeUndefined();
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expect(await signer.verify(`${header}.${payload}.${flipped}`, { typ: 'JWT' })).toBeUndefined();
    const otherHeader = b64({ alg: 'ES256', kid: 'a', typ: 'at+jwt' });
    expect(await signer.verify(`${otherHeader}.${payload}.${signature}`, { typ: 'at+jwt' })).toBeUndefined();
    // Claims to come from the RSA key while signed by the EC one.
    const rsaHeader = b64({ alg: 'RS256', kid: 'r', typ: 'JWT' });
    expect(await signer.verify(`${rsaHeader}.${payload}.${signature}`, { typ: 'JWT' })).toBeUndefined();
  });

  test('a token of a key that is not published, whatever kid it names', async () => {
    const { signer } = await setup();
    const stranger = await createJoseSigner({ keys: { keys: [await key('ES256', 'stranger')] } });
    expect(await signer.verify(await stranger.sign(claims, { typ: 'JWT' }), { typ: 'JWT' })).toBeUndefined();
    const impostor = await createJoseSigner({
      keys: { keys: [{ ...(await key('ES256', 'other')), kid: 'a' }] },
    });
    expect(await signer.verify(await impostor.sign(claims, { typ: 'JWT' }), { typ: 'JWT' })).toBeUndefined();
  });

  test('a token without kid, even when signed by a published key', async () => {
    const { jwk, signer } = await setup();
    const privateKey = await importJWK(jwk as JWK, 'ES256');
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(privateKey);
    expect(await signer.verify(token, { typ: 'JWT' })).toBeUndefined();
  });

  test('a wrong or missing typ', async () => {
    const { jwk, signer, token } = await setup();
    expect(await signer.verify(token, { typ: 'at+jwt' })).toBeUndefined();
    const privateKey = await importJWK(jwk as JWK, 'ES256');
    const untyped = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'a' }).sign(privateKey);
    expect(await signer.verify(untyped, { typ: 'JWT' })).toBeUndefined();
  });

  test('alg none, and HS256 keyed with the public key (algorithm confusion)', async () => {
    const { signer, token } = await setup();
    const payload = token.split('.')[1];
    for (const header of [
      { alg: 'none', kid: 'a', typ: 'JWT' },
      { alg: 'None', kid: 'a', typ: 'JWT' },
    ]) {
      expect(await signer.verify(`${b64(header)}.${payload}.`, { typ: 'JWT' })).toBeUndefined();
    }
    const { keys } = await signer.publicKeys();
    const secret = new TextEncoder().encode(JSON.stringify(keys[1]));
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'r', typ: 'JWT' })
      .sign(secret);
    expect(await signer.verify(hs, { typ: 'JWT' })).toBeUndefined();
  });

  test('an unencoded payload (b64: false, RFC 7797) is no JWT', async () => {
    const { jwk, signer } = await setup();
    const privateKey = await importJWK(jwk as JWK, 'ES256');
    const body = JSON.stringify({ sub: 'mallory' });
    const jws = await new FlattenedSign(new TextEncoder().encode(body))
      .setProtectedHeader({ alg: 'ES256', kid: 'a', typ: 'JWT', b64: false, crit: ['b64'] })
      .sign(privateKey);
    expect(await signer.verify(`${jws.protected}.${body}.${jws.signature}`, { typ: 'JWT' })).toBeUndefined();
  });

  test('a signed payload that is not a JSON object', async () => {
    const { jwk, signer } = await setup();
    const privateKey = await importJWK(jwk as JWK, 'ES256');
    for (const body of ['[1,2]', '"text"', 'null', 'not json', '\u00ff\u00fe']) {
      const jws = await new CompactSign(new TextEncoder().encode(body))
        .setProtectedHeader({ alg: 'ES256', kid: 'a', typ: 'JWT' })
        .sign(privateKey);
      expect(await signer.verify(jws, { typ: 'JWT' }), body).toBeUndefined();
    }
  });

  test('junk', async () => {
    const { signer, token } = await setup();
    const junk: unknown[] = [
      '',
      'junk',
      'a.b.c',
      '..',
      `${token}.extra`,
      token.split('.').slice(0, 2).join('.'),
      `${b64({ alg: 'ES256', kid: 'a', typ: 'JWT' })}.%%%.***`,
      'x'.repeat(100_000),
      undefined,
      null,
      42,
      {},
    ];
    for (const value of junk) {
      await expect(signer.verify(value as string, { typ: 'JWT' })).resolves.toBeUndefined();
    }
    await expect(signer.verify(token, undefined as unknown as { typ: 'JWT' })).resolves.toBeUndefined();
  });
});

describe('rotation: several keys, one active', () => {
  test('a token signed by the previous key verifies after the active key changed; retired, it does not', async () => {
    const previous = await key('ES256', '2026-01');
    const next = await key('EdDSA', '2026-07');
    const keys: PrivateJwks = { keys: [previous, next] };

    const before = await createJoseSigner({ keys });
    expect(before.kid).toBe('2026-01');
    expect(before.algorithms).toEqual(['ES256', 'EdDSA']);
    const old = await before.sign(claims, { typ: 'JWT' });

    const after = await createJoseSigner({ keys, active: '2026-07' });
    expect(after.kid).toBe('2026-07');
    expect(after.algorithm).toBe('EdDSA');
    expect(after.algorithms).toEqual(['EdDSA', 'ES256']);
    const fresh = await after.sign(claims, { typ: 'JWT' });
    expect(decode(fresh).header.kid).toBe('2026-07');

    expect(await after.verify(old, { typ: 'JWT' })).toEqual(claims);
    // The next key was published before it signed: instances not yet switched accept its tokens.
    expect(await before.verify(fresh, { typ: 'JWT' })).toEqual(claims);
    expect(await before.publicKeys()).toEqual(await after.publicKeys());

    const retired = await createJoseSigner({ keys: { keys: [next] } });
    expect(await retired.verify(old, { typ: 'JWT' })).toBeUndefined();
    expect(await retired.verify(fresh, { typ: 'JWT' })).toEqual(claims);
  });

  test('a published-only key may come without its private part', async () => {
    const active = await key('ES256', 'a');
    const next = await key('RS256', 'next');
    const signer = await createJoseSigner({ keys: { keys: [active, publicOnly(next) as never] } });
    const jwks = await signer.publicKeys();
    expect(jwks.keys.map((k) => k.kid)).toEqual(['a', 'next']);
    const other = await createJoseSigner({ keys: { keys: [next] } });
    expect(await signer.verify(await other.sign(claims, { typ: 'JWT' }), { typ: 'JWT' })).toEqual(claims);
  });
});

describe('publicKeys', () => {
  const allowed = new Set(['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use']);

  test('never leaks a private member, nor anything else the host put in a key', async () => {
    const keys = await Promise.all(algorithms.map(([alg]) => key(alg, `pub-${alg}`)));
    const decorated = keys.map((jwk) => ({
      ...jwk,
      key_ops: ['sign', 'verify'],
      ext: true,
      note: 'internal',
      oth: [],
      k: 'c2VjcmV0',
    }));
    const signer = await createJoseSigner({ keys: { keys: decorated } });
    const { keys: published } = await signer.publicKeys();
    expect(published).toHaveLength(keys.length);
    for (const [index, jwk] of published.entries()) {
      for (const name of Object.keys(jwk)) expect(allowed.has(name), `${name} in ${jwk.kid}`).toBe(true);
      for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(jwk).not.toHaveProperty(name);
      expect(jwk).toMatchObject({ kid: keys[index]?.kid, alg: keys[index]?.alg, use: 'sig' });
    }
    // Whatever the member names, no private value appears anywhere in the document.
    const text = JSON.stringify(published);
    for (const jwk of keys) {
      for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
        if (jwk[name] !== undefined) expect(text).not.toContain(jwk[name]);
      }
    }
  });

  test('is frozen: a caller cannot change what the next caller is served', async () => {
    const signer = await createJoseSigner({ keys: { keys: [await key('ES256', 'a')] } });
    const jwks = await signer.publicKeys();
    expect(Object.isFrozen(jwks) && Object.isFrozen(jwks.keys) && Object.isFrozen(jwks.keys[0])).toBe(true);
  });
});

describe('what a client library does with the published JWKS', () => {
  test.each(['ES256', 'RS256', 'EdDSA'] as const)(
    '%s: jose jwtVerify over createRemoteJWKSet (jwks_uri) and createLocalJWKSet',
    async (alg) => {
      const signer = await createJoseSigner({
        keys: { keys: [await key(alg, `client-${alg}`), await key('ES384', 'spare')] },
      });
      const idToken = await signer.sign(claims, { typ: 'JWT', accessToken });
      const published = JSON.parse(JSON.stringify(await signer.publicKeys()));

      const server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
        response.end(JSON.stringify(published));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const remote = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/jwks`));
        const options = { issuer, audience: 'app', typ: 'JWT', algorithms: [...signer.algorithms] };
        const viaRemote = await jwtVerify(idToken, remote, options);
        const viaLocal = await jwtVerify(idToken, createLocalJWKSet(published), options);
        expect(viaRemote.payload).toEqual(viaLocal.payload);
        expect(viaRemote.protectedHeader).toEqual({ alg, kid: `client-${alg}`, typ: 'JWT' });
        expect(viaRemote.payload.at_hash).toBe(await atHash(accessToken, alg));
        expect(viaRemote.payload.nonce).toBe('n-0S6');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    },
  );
});

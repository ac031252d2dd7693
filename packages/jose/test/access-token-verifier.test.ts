import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, test } from 'vitest';
import { createJoseSigner, createJwtAccessTokenVerifier, generateSigningKey } from '../src/index.ts';

const issuer = 'https://id.example.com';
const audience = 'https://api.example.com';
const signer = await createJoseSigner({ keys: { keys: [await generateSigningKey('ES256', 'k1')] } });
const jwks = { keys: [...(await signer.publicKeys()).keys] };
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer,
  sub: 'alice',
  aud: audience,
  client_id: 'app',
  iat: now(),
  exp: now() + 300,
  jti: 'grant-id-0123456789ab.random-part',
  scope: 'profile email',
  ...extra,
});

describe('createJwtAccessTokenVerifier (RFC 9068 §4)', () => {
  const verifier = createJwtAccessTokenVerifier({ issuer, jwks, audience });

  test('a good token gives the info a resource server needs', async () => {
    const token = await signer.sign(claims(), { typ: 'at+jwt' });
    expect(await verifier.verify(token)).toEqual({
      clientId: 'app',
      subject: 'alice',
      scopes: ['profile', 'email'],
      expiresAt: (claims().exp as number) * 1000,
      grantId: 'grant-id-0123456789ab',
      audience: [audience],
    });
  });

  test.each([
    ['another issuer', { iss: 'https://evil.example' }],
    ['another audience', { aud: 'https://other.example' }],
    ['expired', { exp: now() - 60, iat: now() - 120 }],
    ['no client_id', { client_id: undefined }],
    ['no jti', { jti: undefined }],
  ])('%s is not valid', async (_case, extra) => {
    const token = await signer.sign(claims(extra), { typ: 'at+jwt' });
    expect(await verifier.verify(token)).toBeUndefined();
  });

  test('§4: an ID Token (typ JWT) is not an access token, even with the right claims', async () => {
    expect(await verifier.verify(await signer.sign(claims(), { typ: 'JWT' }))).toBeUndefined();
  });

  test('a token signed with another key, or with a shared secret (HS256), is not valid', async () => {
    const other = await createJoseSigner({ keys: { keys: [await generateSigningKey('ES256', 'k1')] } });
    expect(await verifier.verify(await other.sign(claims(), { typ: 'at+jwt' }))).toBeUndefined();
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
      .sign(new TextEncoder().encode('a-shared-secret-of-enough-length!!'));
    expect(await verifier.verify(hs)).toBeUndefined();
    expect(await verifier.verify('not.a.jwt')).toBeUndefined();
  });

  test('the audience per call overrides the default', async () => {
    const token = await signer.sign(claims({ aud: ['https://files.example', audience] }), { typ: 'at+jwt' });
    expect((await verifier.verify(token))?.audience).toEqual(['https://files.example', audience]);
    expect(await verifier.verify(token, { audience: 'https://files.example' })).toBeDefined();
    expect(await verifier.verify(token, { audience: 'https://nope.example' })).toBeUndefined();
  });
});

describe('keys from the jwks_uri', () => {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(jwks));
  });
  const listening = new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('fetched once, then cached', async () => {
    await listening;
    const { port } = server.address() as AddressInfo;
    const remote = createJwtAccessTokenVerifier({ issuer, jwks: new URL(`http://127.0.0.1:${port}/jwks`) });
    const token = await signer.sign(claims(), { typ: 'at+jwt' });
    expect(await remote.verify(token)).toMatchObject({ subject: 'alice' });
    expect(await remote.verify(token)).toMatchObject({ subject: 'alice' });
    expect(requests).toBe(1);
  });

  test('unreachable keys reject (the resource server answers 503), never a pass or a plain "invalid"', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const down = createJwtAccessTokenVerifier({ issuer, jwks: new URL(`http://127.0.0.1:${port}/jwks`) });
    await expect(down.verify(await signer.sign(claims(), { typ: 'at+jwt' }))).rejects.toThrow();
  });
});

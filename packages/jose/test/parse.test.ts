import { createJoseSigner, generateSigningKey, parsePrivateJwks } from '@kraikub/jose';
import { describe, expect, test } from 'vitest';

describe('parsePrivateJwks', () => {
  test('parses a JWKS that createJoseSigner accepts', async () => {
    const key = await generateSigningKey('RS256', 'k1');
    const jwks = parsePrivateJwks(JSON.stringify({ keys: [key] }));
    expect(jwks.keys).toEqual([key]);
    expect((await createJoseSigner({ keys: jwks })).kid).toBe('k1');
  });

  test.each([
    ['', /KRAIKUB_JWKS: is empty/],
    ['  \n', /KRAIKUB_JWKS: is empty/],
    ['{"keys": [{"kty": "EC", "d": "c2VjcmV0"', /KRAIKUB_JWKS: is not valid JSON$/],
    ['[]', /must be a JSON object/],
    ['"keys"', /must be a JSON object/],
    ['{"kty": "EC", "crv": "P-256"}', /is a single JWK; wrap it in a set/],
    ['{"key": []}', /must have a "keys" array/],
    ['{"keys": {}}', /must have a "keys" array/],
    ['{"keys": []}', /"keys" is empty/],
    ['{"keys": [null]}', /keys\[0\] is not a JSON object/],
    ['{"keys": [{"kty": "EC"}, {"crv": "P-256"}]}', /keys\[1\] has no "kty"/],
  ])('%j is refused', (text, message) => {
    expect(() => parsePrivateJwks(text, { source: 'KRAIKUB_JWKS' })).toThrow(TypeError);
    expect(() => parsePrivateJwks(text, { source: 'KRAIKUB_JWKS' })).toThrow(message);
  });

  test('a syntax error never quotes the text, which holds private keys', () => {
    const secret = 'c2VjcmV0LXByaXZhdGUta2V5LW1hdGVyaWFs';
    const error = (() => {
      try {
        parsePrivateJwks(`{"keys": [{"kty": "EC", "d": "${secret}" oops`);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toBe('@kraikub/jose: JWKS: is not valid JSON');
  });
});

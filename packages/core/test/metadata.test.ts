import { describe, expect, test } from 'vitest';
import { harness, ISSUER } from './support.ts';

describe('metadata (RFC 8414 §2)', () => {
  test('describes the endpoints and capabilities', async () => {
    const h = await harness();
    expect(h.server.metadata()).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      revocation_endpoint: `${ISSUER}/revoke`,
      introspection_endpoint: `${ISSUER}/introspect`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: ['profile', 'email', 'offline'],
    });
  });

  test('a bad config throws a TypeError naming the field', async () => {
    await expect(harness({ config: { ttl: { code: 601 } } })).rejects.toThrow(/ttl\.code/);
    await expect(harness({ config: { issuer: 'http://id.example.com' } })).rejects.toThrow(/issuer/);
  });
});

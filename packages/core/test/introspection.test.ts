import { describe, expect, test } from 'vitest';
import { asBasic, harness, introspectAs, postClientTokens, tokensFor, unwrap, unwrapErr } from './support.ts';

describe('introspection (RFC 7662)', () => {
  test('RFC 7662 §2.2: expired tokens are { active: false } and nothing else', async () => {
    const h = await harness();
    const tokens = await tokensFor(h);
    h.clock.advance(3600_000);
    expect(await introspectAs(h, tokens.access_token)).toEqual({ active: false });
    expect(await introspectAs(h, tokens.refresh_token ?? '')).toMatchObject({
      active: true,
      token_type: 'refresh_token',
    });
  });

  test('RFC 7662 §2.1: public clients cannot introspect', async () => {
    const h = await harness();
    const tokens = await tokensFor(h);
    const error = unwrapErr(
      await h.server.introspect({ params: { token: tokens.access_token, client_id: 'public-client' } }),
    );
    expect(error.error).toBe('invalid_client');
  });

  test("RFC 7662 §4: a client sees its own tokens, never another client's", async () => {
    const h = await harness();
    const own = await tokensFor(h);
    const other = await postClientTokens(h);
    expect(await introspectAs(h, own.access_token)).toMatchObject({
      active: true,
      client_id: 'basic-client',
    });
    expect(await introspectAs(h, own.refresh_token ?? '')).toMatchObject({ active: true });
    // Another client's tokens look exactly like unknown ones.
    expect(await introspectAs(h, other.access_token)).toEqual({ active: false });
    expect(await introspectAs(h, other.refresh_token ?? '')).toEqual({ active: false });
    expect(await introspectAs(h, other.access_token, 'post-client')).toMatchObject({ active: true });
  });

  test("RFC 7662 §4: a registered resource server sees every access token, but no other client's refresh token", async () => {
    const h = await harness({
      config: { resourceServers: [{ resource: 'https://api.example.com', clientId: 'basic-client' }] },
    });
    const other = await postClientTokens(h);
    expect(await introspectAs(h, other.access_token)).toMatchObject({
      active: true,
      client_id: 'post-client',
    });
    expect(await introspectAs(h, other.refresh_token ?? '')).toEqual({ active: false });
  });

  test('a resource server must be an absolute URI without fragment', async () => {
    await expect(harness({ config: { resourceServers: [{ resource: '/api' }] } })).rejects.toThrow(
      /resourceServers\.0\.resource: must be an absolute URI/,
    );
    await expect(
      harness({ config: { resourceServers: [{ resource: 'https://api.example/#x' }] } }),
    ).rejects.toThrow(/must have no fragment/);
  });

  test('RFC 7662 §2.2: unknown or junk tokens are inactive', async () => {
    const h = await harness();
    for (const token of ['junk', '', `kbr_${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      const result = await h.server.introspect({ params: { token }, authorization: asBasic });
      if (token === '') expect(unwrapErr(result).error).toBe('invalid_request');
      else expect(unwrap(result)).toEqual({ active: false });
    }
  });
});

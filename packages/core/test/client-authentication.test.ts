import { describe, expect, test } from 'vitest';
import { asBasic, basicAuth, clientRecords, harness, SECRETS, unwrap, unwrapErr } from './support.ts';

describe('client authentication (RFC 6749 §2.3)', () => {
  test('RFC 6749 §5.2: a wrong secret over Basic is invalid_client with basicAuth', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials' },
        authorization: basicAuth('basic-client', 'nope'),
      }),
    );
    expect(error).toMatchObject({ error: 'invalid_client', basicAuth: true });
  });

  test('RFC 6749 §5.2: an unknown client over the body is invalid_client without basicAuth', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'x' },
      }),
    );
    expect(error).toMatchObject({ error: 'invalid_client', basicAuth: false });
  });

  test('RFC 6749 §2.3: a client must use the method it registered', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_id: 'basic-client', client_secret: SECRETS.basic },
      }),
    );
    expect(error.error).toBe('invalid_client');
  });

  test('RFC 6749 §2.3.1: Basic and a body secret together is invalid_request', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_secret: SECRETS.basic },
        authorization: asBasic,
      }),
    );
    expect(error.error).toBe('invalid_request');
  });

  test('a rotated client secret counts at once and the old one stops working (digests are not cached by client)', async () => {
    const h = await harness();
    const { sha256Base64url, webCrypto } = await import('@kraikub/core');
    const record = (await clientRecords())[0];
    const request = (secret: string) =>
      h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile' },
        authorization: basicAuth(record.id, secret),
      });
    expect((await request(SECRETS.basic)).isOk()).toBe(true);
    h.clients.register({ ...record, secretHash: await sha256Base64url(webCrypto, 'kbs_rotated-secret') });
    expect(unwrapErr(await request(SECRETS.basic)).error).toBe('invalid_client');
    expect((await request('kbs_rotated-secret')).isOk()).toBe(true);
    // And back: the first digest is still decoded correctly after the second.
    h.clients.register(record);
    expect((await request(SECRETS.basic)).isOk()).toBe(true);
    expect(unwrapErr(await request('kbs_rotated-secret')).error).toBe('invalid_client');
  });

  test('RFC 6749 Appendix B: Basic credentials are form-decoded', async () => {
    const h = await harness();
    const secret = 'kbs_s3cr:t+with %20 odd&chars';
    const { sha256Base64url, webCrypto } = await import('@kraikub/core');
    h.clients.register({
      id: 'odd id:1',
      name: 'Odd',
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await sha256Base64url(webCrypto, secret),
      grantTypes: ['client_credentials'],
      scopes: ['profile'],
    });
    const encoded = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    const header = `Basic ${btoa(`${encoded('odd id:1')}:${encoded(secret)}`)}`;
    const tokens = unwrap(
      await h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile' },
        authorization: header,
      }),
    );
    expect(tokens.scope).toBe('profile');
  });
});

import { describe, expect, test } from 'vitest';
import { asBasic, harness, SECRETS, unwrapErr } from './support.ts';

describe('token endpoint dispatch (RFC 6749 §5.2)', () => {
  test.each([
    ['a missing grant_type', {}, 'invalid_request'],
    ['grant_type=password', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['grant_type=implicit', { grant_type: 'implicit' }, 'unsupported_grant_type'],
    [
      'a repeated grant_type',
      { grant_type: ['client_credentials', 'client_credentials'] },
      'invalid_request',
    ],
    ['a repeated code', { grant_type: 'authorization_code', code: ['a', 'b'] }, 'invalid_request'],
  ])('%s', async (_name, params, code) => {
    const h = await harness();
    expect(unwrapErr(await h.server.token({ params, authorization: asBasic })).error).toBe(code);
  });

  test('RFC 6749 §5.2: a grant type the client may not use is unauthorized_client', async () => {
    const h = await harness();
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', client_id: 'post-client', client_secret: SECRETS.post },
      }),
    );
    expect(error.error).toBe('unauthorized_client');
  });
});

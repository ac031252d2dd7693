import { describe, expect, test } from 'vitest';
import {
  basicAuth,
  exchange,
  harness,
  introspectAs,
  issueCode,
  SECRETS,
  tokensFor,
  unwrap,
  unwrapErr,
} from './support.ts';

const asBasic = basicAuth('basic-client', SECRETS.basic);

describe('refresh (RFC 6749 §6, RFC 9700 §4.14)', () => {
  test('RFC 9700 §4.14.2: reusing a rotated refresh token revokes the whole grant', async () => {
    const h = await harness();
    const first = await tokensFor(h);
    const second = unwrap(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' },
        authorization: asBasic,
      }),
    );
    const reuse = unwrapErr(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' },
        authorization: asBasic,
      }),
    );
    expect(reuse.error).toBe('invalid_grant');
    for (const token of [first.access_token, second.access_token, second.refresh_token ?? '']) {
      expect(await introspectAs(h, token)).toEqual({ active: false });
    }
  });

  test('RFC 9700 §4.14.2: parallel refreshes with one token: one wins, the rest are reuse, the grant ends revoked', async () => {
    const h = await harness();
    const first = await tokensFor(h);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.server.token({
          params: { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' },
          authorization: asBasic,
        }),
      ),
    );
    const wins = results.filter((r) => r.isOk());
    expect(wins).toHaveLength(1);
    for (const win of wins) {
      expect(await introspectAs(h, win._unsafeUnwrap().access_token)).toEqual({ active: false });
    }
  });

  test('RFC 6749 §6: a narrower scope narrows the access token; the refresh token keeps the grant scope', async () => {
    const h = await harness();
    const first = await tokensFor(h);
    const narrowed = unwrap(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '', scope: 'email' },
        authorization: asBasic,
      }),
    );
    expect(narrowed.scope).toBe('email');
    expect(await introspectAs(h, narrowed.access_token)).toMatchObject({ scope: 'email' });
    expect(await introspectAs(h, narrowed.refresh_token ?? '')).toMatchObject({ scope: 'profile email' });
    const again = unwrap(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: narrowed.refresh_token ?? '' },
        authorization: asBasic,
      }),
    );
    expect(again.scope).toBe('profile email');
  });

  test('RFC 6749 §6: a broader scope is invalid_scope and rotates nothing', async () => {
    const h = await harness();
    const first = await tokensFor(h);
    const error = unwrapErr(
      await h.server.token({
        params: {
          grant_type: 'refresh_token',
          refresh_token: first.refresh_token ?? '',
          scope: 'profile offline',
        },
        authorization: asBasic,
      }),
    );
    expect(error.error).toBe('invalid_scope');
    expect(await introspectAs(h, first.refresh_token ?? '')).toMatchObject({ active: true });
  });

  test('RFC 6749 §6: a refresh token of another client is invalid_grant and stays usable by its owner', async () => {
    const h = await harness();
    const first = await tokensFor(h);
    const error = unwrapErr(
      await h.server.token({
        params: {
          grant_type: 'refresh_token',
          refresh_token: first.refresh_token ?? '',
          client_id: 'post-client',
          client_secret: SECRETS.post,
        },
      }),
    );
    expect(error.error).toBe('invalid_grant');
    expect(await introspectAs(h, first.refresh_token ?? '')).toMatchObject({ active: true });
  });

  test('RFC 6749 §6: an expired refresh token is invalid_grant', async () => {
    const h = await harness();
    const first = await tokensFor(h);
    h.clock.advance(30 * 24 * 3600 * 1000 + 1);
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' },
        authorization: asBasic,
      }),
    );
    expect(error.error).toBe('invalid_grant');
  });

  describe('grace window (post-client: 10 s)', () => {
    async function postTokens() {
      const h = await harness();
      const request = unwrap(
        await h.server.authorize({ response_type: 'code', client_id: 'post-client', scope: 'profile email' }),
      );
      const code = new URL(
        unwrap(await h.server.approve(request, { subject: 'carol' })).url,
      ).searchParams.get('code');
      const tokens = unwrap(
        await h.server.token({
          params: {
            grant_type: 'authorization_code',
            code: code ?? '',
            client_id: 'post-client',
            client_secret: SECRETS.post,
          },
        }),
      );
      const refresh = () =>
        h.server.token({
          params: {
            grant_type: 'refresh_token',
            refresh_token: tokens.refresh_token ?? '',
            client_id: 'post-client',
            client_secret: SECRETS.post,
          },
        });
      return { h, tokens, refresh };
    }

    test('RFC 9700 §4.14.2: a retry inside the window returns the same successor', async () => {
      const { h, refresh } = await postTokens();
      const first = unwrap(await refresh());
      h.clock.advance(5_000);
      const retry = unwrap(await refresh());
      expect(retry.refresh_token).toBe(first.refresh_token);
      expect(retry.access_token).toBe(first.access_token);
      expect(retry.expires_in).toBe(first.expires_in - 5);
      expect(await introspectAs(h, first.access_token, 'post-client')).toMatchObject({
        active: true,
        client_id: 'post-client',
      });
    });

    test('RFC 9700 §4.14.2: a retry after the window revokes the grant', async () => {
      const { h, refresh } = await postTokens();
      const first = unwrap(await refresh());
      h.clock.advance(10_001);
      expect(unwrapErr(await refresh()).error).toBe('invalid_grant');
      expect(await introspectAs(h, first.refresh_token ?? '')).toEqual({ active: false });
    });

    test('RFC 9700 §4.14.2: a retry after the successor was itself used revokes the grant', async () => {
      const { h, refresh } = await postTokens();
      const first = unwrap(await refresh());
      unwrap(
        await h.server.token({
          params: {
            grant_type: 'refresh_token',
            refresh_token: first.refresh_token ?? '',
            client_id: 'post-client',
            client_secret: SECRETS.post,
          },
        }),
      );
      expect(unwrapErr(await refresh()).error).toBe('invalid_grant');
    });
  });

  test('RFC 6749 §5.2: a code presented as refresh token is invalid_grant', async () => {
    const h = await harness();
    const { code } = await issueCode(h);
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'refresh_token', refresh_token: code },
        authorization: asBasic,
      }),
    );
    expect(error.error).toBe('invalid_grant');
    // and the code is untouched
    expect(unwrap(await exchange(h, code)).token_type).toBe('Bearer');
  });
});

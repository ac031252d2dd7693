import { type GrantEvent, StorageUnavailableError } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import {
  asBasic,
  exchange,
  harness,
  introspectAs,
  issueCode,
  tokensFor,
  unwrap,
  unwrapErr,
} from './support.ts';

/** A harness whose grant events are recorded in order. */
async function recorded() {
  const events: GrantEvent[] = [];
  const h = await harness({ onGrantEvent: (event) => void events.push(event) });
  return { h, events, types: () => events.map((event) => event.type) };
}

const refresh = (h: Awaited<ReturnType<typeof harness>>, token: string) =>
  h.server.token({ params: { grant_type: 'refresh_token', refresh_token: token }, authorization: asBasic });

describe('grant lifecycle events (DESIGN.md §13)', () => {
  test('an approval creates a grant: the host hears its id, client, subject and scopes', async () => {
    const { h, events } = await recorded();
    const { request } = await issueCode(h, {}, 'alice');
    const again = unwrap(await h.server.approve(request, { subject: 'alice', scopes: ['profile'] }));
    expect(events).toEqual([
      expect.objectContaining({ type: 'grant.created', clientId: 'basic-client', subject: 'alice' }),
      {
        type: 'grant.created',
        grantId: again.grantId,
        at: h.clock.now(),
        clientId: 'basic-client',
        subject: 'alice',
        scopes: ['profile'],
      },
    ]);
  });

  test('exchange, refresh, revocation: every step is heard, under the one grant id', async () => {
    const { h, events, types } = await recorded();
    const tokens = await tokensFor(h);
    const rotated = unwrap(await refresh(h, tokens.refresh_token ?? ''));
    unwrap(await h.server.revoke({ params: { token: rotated.access_token }, authorization: asBasic }));
    unwrap(await h.server.revoke({ params: { token: rotated.refresh_token ?? '' }, authorization: asBasic }));
    expect(types()).toEqual([
      'grant.created',
      'tokens.issued',
      'tokens.refreshed',
      'token.revoked',
      'grant.revoked',
    ]);
    expect(new Set(events.map((event) => event.grantId)).size).toBe(1);
    expect(events[1]).toMatchObject({
      grantType: 'authorization_code',
      refreshToken: true,
      subject: 'user-1',
    });
    expect(events[4]).toMatchObject({ reason: 'token_revoked', clientId: 'basic-client' });
  });

  test('RFC 6749 §4.1.2: a replayed code is heard as reuse, then the revocation', async () => {
    const { h, events, types } = await recorded();
    const { code } = await issueCode(h);
    unwrap(await exchange(h, code));
    unwrapErr(await exchange(h, code));
    expect(types()).toEqual(['grant.created', 'tokens.issued', 'reuse.detected', 'grant.revoked']);
    expect(events[2]).toMatchObject({ credential: 'code', clientId: 'basic-client' });
    expect(events[3]).toMatchObject({ reason: 'code_replayed' });
  });

  test('RFC 9700 §4.14.2: a reused refresh token is heard as reuse, then the revocation', async () => {
    const { h, events, types } = await recorded();
    const tokens = await tokensFor(h);
    unwrap(await refresh(h, tokens.refresh_token ?? ''));
    unwrapErr(await refresh(h, tokens.refresh_token ?? ''));
    expect(types().slice(-2)).toEqual(['reuse.detected', 'grant.revoked']);
    expect(events.at(-1)).toMatchObject({ reason: 'refresh_reused' });
  });

  test("client credentials create a grant per token; the host's own revocation is heard too", async () => {
    const { h, events, types } = await recorded();
    unwrap(
      await h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile' },
        authorization: asBasic,
      }),
    );
    unwrap(await h.server.revokeGrant(events[0]?.grantId ?? ''));
    expect(types()).toEqual(['grant.created', 'tokens.issued', 'grant.revoked']);
    expect(events[0]).not.toHaveProperty('subject');
    expect(events[1]).toMatchObject({ grantType: 'client_credentials', refreshToken: false });
    expect(events[2]).toMatchObject({ reason: 'host' });
  });

  test('a failing hook fails the request like a store: nothing issued leaves the server', async () => {
    let failing = false;
    const h = await harness({
      onGrantEvent: () => {
        if (failing) throw new StorageUnavailableError('audit log down');
      },
    });
    const { request } = await issueCode(h);
    failing = true;
    expect(unwrapErr(await h.server.approve(request, { subject: 'user-1' }))).toMatchObject({
      error: 'temporarily_unavailable',
      detail: expect.stringContaining('onGrantEvent'),
    });
    failing = false;
    const { code } = await issueCode(h);
    failing = true;
    const refused = unwrapErr(await exchange(h, code));
    expect(refused.error).toBe('temporarily_unavailable');
    expect(JSON.stringify(refused)).not.toContain('kba_');
  });

  test('a hook that rejects asynchronously is waited for', async () => {
    const h = await harness({ onGrantEvent: () => Promise.reject(new Error('disk full')) });
    const error = unwrapErr(
      await h.server.token({
        params: { grant_type: 'client_credentials', scope: 'profile' },
        authorization: asBasic,
      }),
    );
    expect(error.error).toBe('server_error');
    // The revocation of an unknown grant is heard too, and fails the same way.
    expect(unwrapErr(await h.server.revokeGrant('nobody')).error).toBe('server_error');
    expect(await introspectAs(h, 'kba_x')).toEqual({ active: false });
  });
});

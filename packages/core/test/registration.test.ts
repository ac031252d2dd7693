import {
  type ClientEvent,
  type ClientStore,
  StorageUnavailableError,
  sha256Base64url,
  webCrypto,
} from '@kraikub/core';
import { describe, expect, test, vi } from 'vitest';
import { testSigner } from './signer.ts';
import { harness, ISSUER, pkcePair, unwrap, unwrapErr } from './support.ts';

const mcpClient = {
  client_name: 'Claude Code',
  redirect_uris: ['http://localhost:53682/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
};

const open = (extra: Parameters<typeof harness>[0] = {}) => harness({ registration: {}, ...extra });

describe('dynamic client registration (RFC 7591)', () => {
  test('§3.2.1: a public client registers; its record is stored with the hash of its registration token', async () => {
    const h = await open();
    const info = unwrap(await h.server.registerClient({ metadata: mcpClient }));
    expect(info.client_id).toMatch(/^kbc_[A-Za-z0-9_-]{22}$/);
    expect(info).not.toHaveProperty('client_secret');
    expect(info).not.toHaveProperty('client_secret_expires_at');
    expect(info.registration_access_token).toMatch(/^kbr_/);
    expect(info.registration_client_uri).toBe(`${ISSUER}/register/${info.client_id}`);
    expect(info).toMatchObject({
      client_name: 'Claude Code',
      redirect_uris: ['http://localhost:53682/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'profile email offline',
      client_id_issued_at: Math.floor(h.clock.now() / 1000),
    });
    const stored = await h.clients.findClient(info.client_id);
    expect(stored).toMatchObject({ id: info.client_id, requirePkce: true, tokenEndpointAuthMethod: 'none' });
    expect(stored?.registration?.accessTokenHash).toBe(
      await sha256Base64url(webCrypto, info.registration_access_token),
    );
    expect(JSON.stringify(stored)).not.toContain(info.registration_access_token);
  });

  test('§2: without token_endpoint_auth_method the client is confidential (client_secret_basic) with a secret shown once', async () => {
    const h = await open();
    const { token_endpoint_auth_method: _, ...metadata } = mcpClient;
    const info = unwrap(await h.server.registerClient({ metadata }));
    expect(info.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(info.client_secret).toMatch(/^kbs_/);
    expect(info.client_secret_expires_at).toBe(0);
    const stored = await h.clients.findClient(info.client_id);
    expect(stored?.secretHash).toBe(await sha256Base64url(webCrypto, info.client_secret as string));
  });

  test('a registered public client completes the code flow with PKCE, and is refused without it', async () => {
    const h = await open();
    const info = unwrap(await h.server.registerClient({ metadata: { ...mcpClient, scope: 'profile' } }));
    const base = {
      response_type: 'code',
      client_id: info.client_id,
      redirect_uri: 'http://localhost:53682/callback',
    };
    expect(unwrapErr(await h.server.authorize(base)).error).toBe('invalid_request');
    const { verifier, challenge } = await pkcePair();
    // No scope: the registered scope is the default (RFC 6749 section 3.3).
    const request = unwrap(
      await h.server.authorize({ ...base, code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    expect(request.scopes).toEqual(['profile']);
    const code = new URL(unwrap(await h.server.approve(request, { subject: 'u1' })).url).searchParams.get(
      'code',
    );
    const tokens = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: base.redirect_uri,
          client_id: info.client_id,
          code_verifier: verifier,
        },
      }),
    );
    expect(tokens.scope).toBe('profile');
  });

  test.each([
    [{ ...mcpClient, redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
    [{ ...mcpClient, redirect_uris: ['https://a.example/cb#frag'] }, 'invalid_redirect_uri'],
    [{ ...mcpClient, redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    [{ ...mcpClient, redirect_uris: ['myapp:/cb'] }, 'invalid_redirect_uri'],
    [{ ...mcpClient, redirect_uris: [] }, 'invalid_redirect_uri'],
    [{ ...mcpClient, redirect_uris: 'https://a.example/cb' }, 'invalid_redirect_uri'],
    [{ ...mcpClient, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
    [{ ...mcpClient, grant_types: ['implicit'] }, 'invalid_client_metadata'],
    [{ ...mcpClient, response_types: ['token'] }, 'invalid_client_metadata'],
    [{ ...mcpClient, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
    [{ ...mcpClient, scope: 'profile admin' }, 'invalid_client_metadata'],
    [{ ...mcpClient, logo_uri: 'http://cdn.example/logo.png' }, 'invalid_client_metadata'],
    [{ ...mcpClient, client_name: 'x'.repeat(300) }, 'invalid_client_metadata'],
    [{ ...mcpClient, jwks_uri: 'https://a.example/jwks' }, 'invalid_client_metadata'],
    [{ ...mcpClient, software_statement: 'eyJ.x.y' }, 'invalid_software_statement'],
    [[mcpClient], 'invalid_client_metadata'],
    ['{}', 'invalid_client_metadata'],
    [null, 'invalid_client_metadata'],
  ])('§3.2.2: bad metadata %# is refused, nothing stored', async (metadata, error) => {
    const h = await open();
    const before = (await h.clients.listClients()).length;
    const refused = unwrapErr(await h.server.registerClient({ metadata }));
    expect(refused.error).toBe(error);
    expect(refused.description).toMatch(/^[\x20-\x7e]+$/);
    expect((await h.clients.listClients()).length).toBe(before);
  });

  test('client_credentials registers as a confidential client', async () => {
    const h = await open();
    const info = unwrap(
      await h.server.registerClient({
        metadata: {
          client_name: 'Batch',
          grant_types: ['client_credentials'],
          response_types: [],
          scope: 'profile',
          token_endpoint_auth_method: 'client_secret_post',
        },
      }),
    );
    const tokens = unwrap(
      await h.server.token({
        params: {
          grant_type: 'client_credentials',
          client_id: info.client_id,
          client_secret: info.client_secret as string,
        },
      }),
    );
    expect(tokens.scope).toBe('profile');
  });

  test('openid is a scope a client may register when the server speaks OpenID Connect', async () => {
    const h = await open({ signer: await testSigner() });
    const info = unwrap(
      await h.server.registerClient({ metadata: { ...mcpClient, scope: 'openid profile' } }),
    );
    expect(info.scope).toBe('openid profile');
    const without = await open();
    expect(
      unwrapErr(await without.server.registerClient({ metadata: { ...mcpClient, scope: 'openid' } })).error,
    ).toBe('invalid_client_metadata');
  });

  test('§3: protected registration needs an initial access token the host accepts', async () => {
    const h = await open({ registration: { initialAccessToken: (token) => token === 'let-me-in' } });
    expect(unwrapErr(await h.server.registerClient({ metadata: mcpClient })).error).toBe('invalid_token');
    expect(
      unwrapErr(await h.server.registerClient({ metadata: mcpClient, initialAccessToken: 'guess' })).error,
    ).toBe('invalid_token');
    unwrap(await h.server.registerClient({ metadata: mcpClient, initialAccessToken: 'let-me-in' }));
  });

  test('the policy hook sees every registration and may refuse or adjust it', async () => {
    const policy = vi.fn((proposal) =>
      proposal.client.name.includes('Evil')
        ? ({ allow: false, error: 'invalid_client_metadata', description: 'Not this one.' } as const)
        : ({
            allow: true,
            client: { ...proposal.client, scopes: ['profile'], defaultScopes: ['profile'] },
          } as const),
    );
    const h = await open({ registration: { policy } });
    const refused = unwrapErr(
      await h.server.registerClient({ metadata: { ...mcpClient, client_name: 'Evil' } }),
    );
    expect(refused).toMatchObject({ error: 'invalid_client_metadata', description: 'Not this one.' });
    const info = unwrap(await h.server.registerClient({ metadata: mcpClient, initialAccessToken: 'iat' }));
    expect(info.scope).toBe('profile');
    expect(policy).toHaveBeenLastCalledWith(
      expect.objectContaining({ operation: 'register', initialAccessToken: 'iat', metadata: mcpClient }),
    );
    // An adjustment that breaks the record's rules is refused, never stored.
    const broken = await open({
      registration: {
        policy: (p) => ({ allow: true, client: { ...p.client, redirectUris: ['javascript:alert(1)'] } }),
      },
    });
    expect(unwrapErr(await broken.server.registerClient({ metadata: mcpClient })).error).toBe(
      'invalid_client_metadata',
    );
    // A policy that throws is the host's failure: server_error, nothing stored.
    const throwing = await open({
      registration: {
        policy: () => {
          throw new Error('boom');
        },
      },
    });
    expect(unwrapErr(await throwing.server.registerClient({ metadata: mcpClient })).error).toBe(
      'server_error',
    );
  });

  test('a failing store is temporarily_unavailable and nothing is issued', async () => {
    const base = await open();
    const failing: ClientStore = {
      findClient: (id) => base.clients.findClient(id),
      registerClient: () => Promise.reject(new StorageUnavailableError('down')),
      updateClient: (c) => base.clients.updateClient(c),
      deleteClient: (id) => base.clients.deleteClient(id),
    };
    const h = await open({ clients: failing });
    expect(unwrapErr(await h.server.registerClient({ metadata: mcpClient })).error).toBe(
      'temporarily_unavailable',
    );
  });

  test('events: registered, updated, deleted; a failing listener undoes the registration', async () => {
    const events: ClientEvent[] = [];
    const h = await open({ registration: { onClientEvent: (event) => void events.push(event) } });
    const info = unwrap(await h.server.registerClient({ metadata: mcpClient }));
    const updated = unwrap(
      await h.server.updateClient(info.client_id, info.registration_access_token, {
        ...mcpClient,
        client_id: info.client_id,
      }),
    );
    unwrap(await h.server.deleteClient(info.client_id, updated.registration_access_token));
    expect(events.map((event) => event.type)).toEqual([
      'client.registered',
      'client.updated',
      'client.deleted',
    ]);

    const failing = await open({
      registration: {
        onClientEvent: () => {
          throw new StorageUnavailableError('audit log down');
        },
      },
    });
    const before = (await failing.clients.listClients()).length;
    expect(unwrapErr(await failing.server.registerClient({ metadata: mcpClient })).error).toBe(
      'temporarily_unavailable',
    );
    expect((await failing.clients.listClients()).length).toBe(before);
  });

  test('without registration the server refuses and the metadata has no registration_endpoint', async () => {
    const h = await harness();
    expect(unwrapErr(await h.server.registerClient({ metadata: mcpClient })).error).toBe(
      'registration_not_supported',
    );
    expect(h.server.metadata()).not.toHaveProperty('registration_endpoint');
    expect((await open()).server.metadata().registration_endpoint).toBe(`${ISSUER}/register`);
  });

  test('registration needs a store that can write', async () => {
    const { clients } = await harness();
    await expect(
      harness({ registration: {}, clients: { findClient: (id) => clients.findClient(id) } }),
    ).rejects.toThrow(/registerClient/);
  });
});

describe('client registration management (RFC 7592)', () => {
  test('§2.1: read with the registration access token, which rotates', async () => {
    const h = await open();
    const info = unwrap(await h.server.registerClient({ metadata: mcpClient }));
    const read = unwrap(await h.server.readClient(info.client_id, info.registration_access_token));
    expect(read).toMatchObject({ client_id: info.client_id, client_name: 'Claude Code' });
    expect(read.registration_access_token).not.toBe(info.registration_access_token);
    expect(unwrapErr(await h.server.readClient(info.client_id, info.registration_access_token)).error).toBe(
      'invalid_token',
    );
    unwrap(await h.server.readClient(info.client_id, read.registration_access_token));
  });

  test('§2: a wrong token, another client, an unknown or a statically registered client: all invalid_token', async () => {
    const h = await open();
    const a = unwrap(await h.server.registerClient({ metadata: mcpClient }));
    const b = unwrap(await h.server.registerClient({ metadata: mcpClient }));
    for (const [id, token] of [
      [a.client_id, 'kbr_wrong'],
      [a.client_id, b.registration_access_token],
      ['kbc_unknown', a.registration_access_token],
      ['public-client', a.registration_access_token],
      [a.client_id, undefined],
      [a.client_id, 'x'.repeat(10_000)],
    ] as const) {
      expect(unwrapErr(await h.server.readClient(id, token)).error).toBe('invalid_token');
      expect(unwrapErr(await h.server.deleteClient(id, token)).error).toBe('invalid_token');
    }
  });

  test('§2.2: update replaces the metadata; client_id must match; the kind of client cannot change', async () => {
    const h = await open();
    const info = unwrap(await h.server.registerClient({ metadata: { ...mcpClient, scope: 'profile' } }));
    const update = {
      ...mcpClient,
      client_id: info.client_id,
      client_name: 'Renamed',
      redirect_uris: ['https://app.example/cb'],
    };
    expect(
      unwrapErr(
        await h.server.updateClient(info.client_id, info.registration_access_token, {
          ...update,
          client_id: 'other',
        }),
      ).error,
    ).toBe('invalid_request');
    const updated = unwrap(
      await h.server.updateClient(info.client_id, info.registration_access_token, update),
    );
    expect(updated).toMatchObject({
      client_name: 'Renamed',
      redirect_uris: ['https://app.example/cb'],
      scope: 'profile email offline',
    });
    const stored = await h.clients.findClient(info.client_id);
    expect(stored).toMatchObject({ name: 'Renamed', registration: { issuedAt: info.client_id_issued_at } });
    expect(stored).not.toHaveProperty('defaultScopes');
    const confidential = { ...update, token_endpoint_auth_method: 'client_secret_basic' };
    expect(
      unwrapErr(await h.server.updateClient(info.client_id, updated.registration_access_token, confidential))
        .error,
    ).toBe('invalid_client_metadata');
    // A refused update changed nothing, not even the token.
    unwrap(await h.server.readClient(info.client_id, updated.registration_access_token));
  });

  test('§2.2: a confidential client keeps its secret; a wrong client_secret in the update is refused', async () => {
    const h = await open();
    const { token_endpoint_auth_method: _, ...metadata } = mcpClient;
    const info = unwrap(await h.server.registerClient({ metadata }));
    const wrong = { ...metadata, client_id: info.client_id, client_secret: 'kbs_wrong' };
    expect(
      unwrapErr(await h.server.updateClient(info.client_id, info.registration_access_token, wrong)).error,
    ).toBe('invalid_request');
    const right = {
      ...metadata,
      client_id: info.client_id,
      client_secret: info.client_secret,
      client_name: 'Kept',
    };
    const updated = unwrap(
      await h.server.updateClient(info.client_id, info.registration_access_token, right),
    );
    expect(updated).not.toHaveProperty('client_secret');
    expect((await h.clients.findClient(info.client_id))?.secretHash).toBe(
      await sha256Base64url(webCrypto, info.client_secret as string),
    );
  });

  test('§2.3: delete removes the client; its token no longer works and it cannot authorize', async () => {
    const h = await open();
    const info = unwrap(await h.server.registerClient({ metadata: mcpClient }));
    unwrap(await h.server.deleteClient(info.client_id, info.registration_access_token));
    expect(await h.clients.findClient(info.client_id)).toBeUndefined();
    expect(unwrapErr(await h.server.readClient(info.client_id, info.registration_access_token)).error).toBe(
      'invalid_token',
    );
    const { challenge } = await pkcePair();
    const refused = unwrapErr(
      await h.server.authorize({
        response_type: 'code',
        client_id: info.client_id,
        redirect_uri: mcpClient.redirect_uris[0] as string,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    expect(refused.error).toBe('invalid_client');
    expect(refused.redirect).toBeUndefined();
  });
});

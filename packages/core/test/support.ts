import { MemoryClientStore, MemoryGrantStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationRequest,
  type AuthorizationServer,
  base64url,
  type ClientIdMetadataDocumentOptions,
  type ClientStore,
  type Clock,
  createAuthorizationServer,
  type GrantEventListener,
  type GrantStore,
  type RegistrationOptions,
  type SignerPort,
  sha256Base64url,
  type TokenResponse,
  webCrypto,
} from '@kraikub/core';
import { expect } from 'vitest';

export const ISSUER = 'https://id.kraikub.test';

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(public time = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export const SECRETS = { basic: 'kbs_basic-client-secret', post: 'kbs_post-client-secret' } as const;

export async function clientRecords() {
  return [
    {
      id: 'basic-client',
      name: 'Basic Client',
      redirectUris: ['https://client.example/callback', 'https://client.example/other?x=1'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await sha256Base64url(webCrypto, SECRETS.basic),
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: ['profile', 'email', 'offline'],
    },
    {
      id: 'post-client',
      name: 'Post Client',
      redirectUris: ['https://post.example/cb'],
      tokenEndpointAuthMethod: 'client_secret_post',
      secretHash: await sha256Base64url(webCrypto, SECRETS.post),
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['profile', 'email'],
      refreshTokenGraceSeconds: 10,
    },
    {
      id: 'public-client',
      name: 'Public Client',
      redirectUris: ['http://127.0.0.1/native-cb', 'com.example.app:/cb'],
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['profile'],
      defaultScopes: ['profile'],
    },
  ] as const;
}

export interface Harness {
  readonly server: AuthorizationServer;
  readonly store: MemoryGrantStore;
  readonly clients: MemoryClientStore;
  readonly clock: TestClock;
}

export async function harness(
  overrides: {
    store?: GrantStore;
    clients?: ClientStore;
    config?: Record<string, unknown>;
    onGrantEvent?: GrantEventListener;
    signer?: SignerPort;
    registration?: RegistrationOptions;
    clientIdMetadataDocuments?: ClientIdMetadataDocumentOptions;
  } = {},
): Promise<Harness> {
  const clock = new TestClock();
  const store = new MemoryGrantStore({ clock });
  const clients = new MemoryClientStore(await clientRecords());
  const server = createAuthorizationServer({
    config: {
      issuer: ISSUER,
      scopes: { profile: 'Read your profile', email: 'Read your email', offline: 'Stay signed in' },
      ...overrides.config,
    },
    clients: overrides.clients ?? clients,
    store: overrides.store ?? store,
    clock,
    ...(overrides.onGrantEvent === undefined ? {} : { onGrantEvent: overrides.onGrantEvent }),
    ...(overrides.signer === undefined ? {} : { signer: overrides.signer }),
    ...(overrides.registration === undefined ? {} : { registration: overrides.registration }),
    ...(overrides.clientIdMetadataDocuments === undefined
      ? {}
      : { clientIdMetadataDocuments: overrides.clientIdMetadataDocuments }),
  });
  return { server, store, clients, clock };
}

export const basicAuth = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

/** The Authorization header of `basic-client` with its right secret. */
export const asBasic = basicAuth('basic-client', SECRETS.basic);

export async function pkcePair(verifier = `${'a'.repeat(20)}verifier-with-enough-length-123`) {
  return { verifier, challenge: base64url(await webCrypto.sha256(verifier)) };
}

/** Unwraps an ok Result or fails the test with the error. */
export function unwrap<T, E>(result: { isOk(): boolean; isErr(): boolean; value?: T; error?: E }): T {
  if (result.isErr()) expect.fail(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value as T;
}

export function unwrapErr<T, E>(result: { isOk(): boolean; isErr(): boolean; value?: T; error?: E }): E {
  if (result.isOk()) expect.fail(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error as E;
}

/** authorize + approve for `basic-client`; returns the code and the validated request. */
export async function issueCode(
  h: Harness,
  params: Record<string, string> = {},
  subject = 'user-1',
): Promise<{ code: string; request: AuthorizationRequest; url: URL }> {
  const request = unwrap(
    await h.server.authorize({
      response_type: 'code',
      client_id: 'basic-client',
      redirect_uri: 'https://client.example/callback',
      scope: 'profile email',
      state: 'xyz',
      ...params,
    }),
  );
  const response = unwrap(await h.server.approve(request, { subject }));
  const url = new URL(response.url);
  const code = url.searchParams.get('code');
  if (code === null) expect.fail('no code in the redirect');
  return { code, request, url };
}

export async function exchange(
  h: Harness,
  code: string,
  params: Record<string, string> = {},
  authorization: string | undefined = basicAuth('basic-client', SECRETS.basic),
) {
  return h.server.token({
    params: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://client.example/callback',
      ...params,
    },
    authorization,
  });
}

export async function tokensFor(h: Harness): Promise<TokenResponse> {
  const { code } = await issueCode(h);
  return unwrap(await exchange(h, code));
}

/** `post-client`'s tokens (client_secret_post), from a code of its own. */
export async function postClientTokens(h: Harness): Promise<TokenResponse> {
  const { code } = await issueCode(h, {
    client_id: 'post-client',
    redirect_uri: 'https://post.example/cb',
    scope: 'profile',
  });
  return unwrap(
    await h.server.token({
      params: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://post.example/cb',
        client_id: 'post-client',
        client_secret: SECRETS.post,
      },
    }),
  );
}

/** Introspects as `basic-client` (HTTP Basic), or as `post-client` (client_secret_post). */
export async function introspectAs(
  h: Harness,
  token: string,
  as: 'basic-client' | 'post-client' = 'basic-client',
) {
  return unwrap(
    await h.server.introspect(
      as === 'basic-client'
        ? { params: { token }, authorization: basicAuth('basic-client', SECRETS.basic) }
        : { params: { token, client_id: 'post-client', client_secret: SECRETS.post } },
    ),
  );
}

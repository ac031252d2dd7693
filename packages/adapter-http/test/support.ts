import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  type GrantStore,
  hashSecret,
  type InteractionStore,
  webCrypto,
} from '@kraikub/core';
import { createHandler, createInteractions, type HandlerOptions, type Interactions } from '../src/index.ts';
import { toNodeHandler } from '../src/node.ts';

export const ISSUER = 'http://localhost:3999';
export const SECRET = 'kbs_test-secret';
export const REDIRECT = 'https://client.example/callback';

export interface Provider {
  readonly server: AuthorizationServer;
  readonly interactions: Interactions;
  readonly grants: GrantStore;
  /** Sends a request the way this transport does; `path` is relative to the issuer. */
  send(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export type Transport = 'fetch' | 'node';

/**
 * The host's interaction step for tests: `x-test-user` approves as that
 * user; `x-test-deny` denies; otherwise a login page that carries the
 * interaction id.
 */
const interact: HandlerOptions['interact'] = ({ httpRequest, interactionId, request }) => {
  const user = httpRequest.headers.get('x-test-user');
  if (user !== null) return { type: 'approve', subject: user };
  if (httpRequest.headers.get('x-test-deny') !== null) return { type: 'deny' };
  return new Response(
    `<form>login for ${request.client.name}<input name="interaction" value="${interactionId}"></form>`,
    {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
    },
  );
};

export async function provider(
  transport: Transport,
  options: {
    grants?: GrantStore;
    interactionStore?: InteractionStore;
    handler?: Partial<HandlerOptions>;
  } = {},
): Promise<Provider> {
  const clients = new MemoryClientStore([
    {
      id: 'web',
      name: 'Web App',
      redirectUris: [REDIRECT],
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await hashSecret(webCrypto, SECRET),
      scopes: ['profile', 'email'],
    },
    {
      id: 'poster',
      name: 'Poster',
      redirectUris: [REDIRECT],
      tokenEndpointAuthMethod: 'client_secret_post',
      secretHash: await hashSecret(webCrypto, SECRET),
      scopes: ['profile'],
    },
  ]);
  const grants = options.grants ?? new MemoryGrantStore();
  const server = createAuthorizationServer({
    config: { issuer: ISSUER, scopes: { profile: 'Your profile', email: 'Your email' } },
    clients,
    store: grants,
  });
  const interactions = createInteractions(server, {
    store: options.interactionStore ?? new MemoryInteractionStore(),
  });
  const handler = createHandler(server, { interactions, interact, ...options.handler });

  if (transport === 'fetch') {
    return {
      server,
      interactions,
      grants,
      send: (path, init) => handler(new Request(new URL(path, ISSUER), init)),
      close: async () => undefined,
    };
  }
  const http: Server = createServer(toNodeHandler(handler));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    server,
    interactions,
    grants,
    send: (path, init) => fetch(new URL(path, `http://127.0.0.1:${port}`), { redirect: 'manual', ...init }),
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

export const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

export function form(params: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  };
}

export function authorizeQuery(params: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'web',
    redirect_uri: REDIRECT,
    scope: 'profile email',
    state: 'st-1',
    ...params,
  };
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(all)) if (v !== undefined) query.append(k, v);
  return `/authorize?${query}`;
}

/** Runs authorize with an approving user and returns the code from the redirect. */
export async function codeFor(p: Provider, params: Record<string, string | undefined> = {}): Promise<string> {
  const response = await p.send(authorizeQuery(params), { headers: { 'x-test-user': 'alice' } });
  const location = response.headers.get('location');
  if (location === null) throw new Error(`no redirect: ${response.status} ${await response.text()}`);
  const code = new URL(location).searchParams.get('code');
  if (code === null) throw new Error(`no code in ${location}`);
  return code;
}

export function exchange(p: Provider, code: string, extra: Record<string, string> = {}) {
  return p.send(
    '/token',
    form(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra },
      { authorization: basic('web', SECRET) },
    ),
  );
}

export async function introspect(p: Provider, token: string): Promise<Record<string, unknown>> {
  const response = await p.send('/introspect', form({ token }, { authorization: basic('web', SECRET) }));
  return (await response.json()) as Record<string, unknown>;
}

import { once } from 'node:events';
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationServer,
  createAuthorizationServer,
  type GrantStore,
  type InteractionLimits,
  type InteractionStore,
  type RegistrationOptions,
  type SignerPort,
  sha256Base64url,
  webCrypto,
} from '@kraikub/core';
import { createHandler, createInteractions, type HandlerOptions, type Interactions } from '../src/index.ts';
import { createNodeServer } from '../src/node.ts';

export const ISSUER = 'http://localhost:3999';
export const SECRET = 'kbs_test-secret';
export const REDIRECT = 'https://client.example/callback';

export interface Provider {
  readonly server: AuthorizationServer;
  readonly interactions: Interactions;
  readonly grants: GrantStore;
  /** Sends a request the way this transport does; `path` is relative to the issuer. */
  send(path: string, init?: RequestInit): Promise<Response>;
  /** The port of the `node:http` server (node transport only). */
  readonly port?: number;
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
    interactionLimits?: Partial<InteractionLimits>;
    handler?: Partial<HandlerOptions>;
    /** More server config (resource servers, say). */
    config?: Record<string, unknown>;
    /** A signer: OpenID Connect and JWT access tokens. */
    signer?: SignerPort;
    /** Dynamic client registration on. */
    registration?: RegistrationOptions;
  } = {},
): Promise<Provider> {
  const clients = new MemoryClientStore([
    {
      id: 'web',
      name: 'Web App',
      redirectUris: [REDIRECT],
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await sha256Base64url(webCrypto, SECRET),
      scopes: ['profile', 'email'],
    },
    {
      id: 'poster',
      name: 'Poster',
      redirectUris: [REDIRECT],
      tokenEndpointAuthMethod: 'client_secret_post',
      secretHash: await sha256Base64url(webCrypto, SECRET),
      scopes: ['profile'],
    },
  ]);
  const grants = options.grants ?? new MemoryGrantStore();
  const server = createAuthorizationServer({
    config: { issuer: ISSUER, scopes: { profile: 'Your profile', email: 'Your email' }, ...options.config },
    clients,
    store: grants,
    ...(options.signer === undefined ? {} : { signer: options.signer }),
    ...(options.registration === undefined ? {} : { registration: options.registration }),
  });
  const interactions = createInteractions(server, {
    store: options.interactionStore ?? new MemoryInteractionStore(),
    ...(options.interactionLimits === undefined ? {} : { limits: options.interactionLimits }),
  });
  const handler = createHandler(server, { interactions, interact, ...options.handler });

  if (transport === 'fetch') {
    return {
      server,
      interactions,
      grants,
      send: (path, init) => handler(new Request(new URL(path, ISSUER), init), { remoteAddress: '192.0.2.1' }),
      close: async () => undefined,
    };
  }
  const http: Server = createNodeServer(handler);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    server,
    interactions,
    grants,
    port,
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

/** A raw HTTP answer: status, lower-case headers, body text; `closed` when the server sent nothing. */
export interface RawAnswer {
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends `bytes` over a fresh TCP connection, half-closes it, and reads until
 * the server closes (or 5 s pass). For requests no `fetch` would send.
 */
export function rawRequest(port: number, bytes: string | Uint8Array): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
      resolve({
        status: status === undefined ? undefined : Number(status),
        headers,
        body: end < 0 ? '' : text.slice(end + 4),
      });
    });
    socket.end(bytes);
  });
}

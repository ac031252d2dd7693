/**
 * What the API-path targets (`api-kraikub.ts`, `api-floor.ts`, `api-tail.ts`)
 * and `core.ts` share: the provider configured with a resource server whose
 * access tokens are opaque or RFC 9068 JWTs, access tokens minted through
 * the library's own API, and a tiny IPC protocol of their own (the token
 * endpoint benchmark's protocol in `lib/` knows only token-endpoint works,
 * and is being changed by others; this one is self-contained on purpose).
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryClientStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationRequest,
  type AuthorizationServer,
  type Clock,
  type CryptoPort,
  createAuthorizationServer,
  type GrantStore,
  sha256Base64url,
} from '@kraikub/core';
import { createJoseSigner, generateSigningKey } from '@kraikub/jose';
import { basic } from '../lib/kraikub.ts';
import { client, parallel } from '../lib/target.ts';

/** The access token formats measured: random opaque tokens, or RFC 9068 JWTs (ES256). */
export type AccessTokenFormat = 'opaque' | 'jwt';

/** The protected resource (RFC 8707 identifier) every API access token is issued for. */
export const resource = 'https://api.example.com';

/** Options of {@link apiServer}. */
export interface ApiServerOptions {
  readonly store: GrantStore;
  readonly crypto: CryptoPort;
  readonly format: AccessTokenFormat;
  readonly clock?: Clock;
  /** Authorization code lifetime in seconds (default core's 60). */
  readonly codeTtl?: number;
}

/**
 * The provider of the API-path measurements: the benchmark client, one
 * resource server (`resource`) whose tokens are in `format`, an ES256 signer
 * (`@kraikub/jose`, needed for JWT access tokens), and a validated
 * authorization request (scope `api`, `resource` set, so every token has
 * the resource as its audience) to approve codes from.
 */
export async function apiServer(
  options: ApiServerOptions,
): Promise<{ server: AuthorizationServer; request: AuthorizationRequest }> {
  const server = createAuthorizationServer({
    config: {
      issuer: 'http://localhost:3000',
      scopes: { [client.scope]: 'Benchmark API' },
      resourceServers: [{ resource, accessTokenFormat: options.format, scopes: [client.scope] }],
      ...(options.codeTtl === undefined ? {} : { ttl: { code: options.codeTtl } }),
    },
    clients: new MemoryClientStore([
      {
        id: client.id,
        name: 'Benchmark client',
        redirectUris: [client.redirectUri],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(options.crypto, client.secret),
        scopes: [client.scope],
        grantTypes: ['authorization_code', 'refresh_token'],
      },
    ]),
    store: options.store,
    crypto: options.crypto,
    signer: await createJoseSigner({ keys: { keys: [await generateSigningKey('ES256', 'bench-es256')] } }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const authorized = await server.authorize(
    new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: client.redirectUri,
      scope: client.scope,
      resource,
    }),
  );
  if (authorized.isErr()) throw new Error(`authorize failed: ${authorized.error.description}`);
  return { server, request: authorized.value };
}

/** `count` authorization codes through `approve`, `width` at a time. */
export function mintCodes(
  server: AuthorizationServer,
  request: AuthorizationRequest,
  count: number,
  width = 64,
): Promise<string[]> {
  return parallel(count, width, async () => {
    const approved = await server.approve(request, { subject: client.subject });
    if (approved.isErr()) throw new Error(`approve failed: ${approved.error.description}`);
    return approved.value.parameters.code as string;
  });
}

/**
 * `count` access tokens through the library's API, as a client gets them:
 * `approve`, then the code exchange at `token` (client_secret_basic).
 * Each grant also leaves a refresh token and the code's tombstone in the store.
 */
export async function mintAccessTokens(
  server: AuthorizationServer,
  request: AuthorizationRequest,
  count: number,
  width = 64,
): Promise<string[]> {
  const codes = await mintCodes(server, request, count, width);
  return parallel(count, width, async (i) => {
    const tokens = await server.token({
      params: {
        grant_type: 'authorization_code',
        code: codes[i] as string,
        redirect_uri: client.redirectUri,
      },
      authorization: basic,
    });
    if (tokens.isErr()) throw new Error(`token failed: ${tokens.error.description}`);
    return tokens.value.access_token;
  });
}

/** Parent to API target. `mint` asks for credentials; anything else is the target's own. */
export type ApiCommand = { readonly id: number; readonly type: string; readonly [field: string]: unknown };

/** API target to parent: the answer to command `id`, or a failure. */
export type ApiMessage =
  | { readonly type: 'ready'; readonly port: number; readonly [field: string]: unknown }
  | { readonly type: 'done'; readonly id: number; readonly value: unknown }
  | { readonly type: 'failed'; readonly id?: number; readonly reason: string };

function describe(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}

/**
 * Runs an API target: listens on a free loopback port with `listener`,
 * says `ready` (with `info`), and answers the parent's commands through
 * `commands` over IPC, never through the HTTP server being measured.
 */
export function serveApiTarget(
  build: () => Promise<{
    readonly listener: RequestListener;
    readonly commands: (command: ApiCommand) => Promise<unknown>;
    readonly info?: Record<string, unknown>;
  }>,
): void {
  const send = (message: ApiMessage) => process.send?.(message);
  if (process.send === undefined) {
    console.error('An API target is started by bench/api.ts or bench/tail.ts (it needs an IPC channel).');
    process.exit(2);
  }
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  build().then(
    ({ listener, commands, info }) => {
      const server = createServer({ keepAliveTimeout: 60_000 }, listener);
      server.listen(0, '127.0.0.1', () => {
        process.on('message', (command: ApiCommand) => {
          commands(command).then(
            (value) => send({ type: 'done', id: command.id, value }),
            (cause: unknown) => send({ type: 'failed', id: command.id, reason: describe(cause) }),
          );
        });
        send({ type: 'ready', port: (server.address() as AddressInfo).port, ...info });
      });
    },
    (cause: unknown) => {
      send({ type: 'failed', reason: describe(cause) });
      setTimeout(() => process.exit(1), 50);
    },
  );
}

/** The API targets' format, from `API_FORMAT` (default opaque). */
export function formatFromEnv(): AccessTokenFormat {
  const format = process.env.API_FORMAT ?? 'opaque';
  if (format !== 'opaque' && format !== 'jwt')
    throw new Error(`API_FORMAT must be opaque or jwt, not ${format}`);
  return format;
}

import { createHandler, createInteractions } from '@kraikub/adapter-http';
import { toNodeHandler } from '@kraikub/adapter-http/node';
import { MemoryClientStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  type AuthorizationRequest,
  type AuthorizationServer,
  type Clock,
  type CryptoPort,
  createAuthorizationServer,
  type GrantStore,
  sha256Base64url,
  webCrypto,
} from '@kraikub/core';
import type { Work } from './protocol.ts';
import { client, parallel, type TargetSetup } from './target.ts';

/**
 * Kraikub as a user would deploy it on `node:http`: core, the given grant
 * store, and adapter-http's handler served through `toNodeHandler` (its fast
 * path: no `Request`/`Response` objects on the token endpoint).
 */
export async function kraikubTarget(store: GrantStore, crypto: CryptoPort): Promise<TargetSetup> {
  const { server, request } = await benchServer(store, crypto);
  const handler = createHandler(server, {
    interactions: createInteractions(server, { store: new MemoryInteractionStore() }),
    interact: () => new Response('not used by the benchmark', { status: 501 }),
  });
  return {
    server,
    listener: toNodeHandler(handler),
    path: '/token',
    mint: (work, count) => mint(server, request, work, count),
  };
}

/**
 * The benchmark's provider: the one client, the given store, crypto and
 * clock, and a validated authorization request to approve codes from. Shared
 * by the HTTP targets and the in-process run (`core.ts`).
 */
export async function benchServer(
  store: GrantStore,
  crypto: CryptoPort,
  clock?: Clock,
): Promise<{ server: AuthorizationServer; request: AuthorizationRequest }> {
  const server = createAuthorizationServer({
    config: { issuer: 'http://localhost:3000', scopes: { [client.scope]: 'Benchmark API' } },
    clients: new MemoryClientStore([
      {
        id: client.id,
        name: 'Benchmark client',
        redirectUris: [client.redirectUri],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(crypto, client.secret),
        scopes: [client.scope],
        grantTypes: ['authorization_code', 'refresh_token'],
      },
    ]),
    store,
    crypto,
    ...(clock === undefined ? {} : { clock }),
  });
  const request = await server.authorize(
    new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: client.redirectUri,
      scope: client.scope,
    }),
  );
  if (request.isErr()) throw new Error(`authorize failed: ${request.error.description}`);
  return { server, request: request.value };
}

/** HTTP Basic credentials of the benchmark client. */
export const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

/** Codes through `approve`; refresh tokens by redeeming such codes through `token`. */
async function mint(
  server: AuthorizationServer,
  request: AuthorizationRequest,
  work: Work,
  count: number,
): Promise<string[]> {
  return parallel(count, 64, async () => {
    const approved = await server.approve(request, { subject: client.subject });
    if (approved.isErr()) throw new Error(`approve failed: ${approved.error.description}`);
    const code = approved.value.parameters.code as string;
    if (work === 'exchange') return code;
    const tokens = await server.token({
      params: { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri },
      authorization: basic,
    });
    if (tokens.isErr()) throw new Error(`token failed: ${tokens.error.description}`);
    return tokens.value.refresh_token as string;
  });
}

/** The `CryptoPort` a target uses: `KRAIKUB_CRYPTO=web` forces Web Crypto (the portable default). */
export async function cryptoFor(): Promise<{ crypto: CryptoPort; name: string }> {
  if (process.env.KRAIKUB_CRYPTO === 'web') return { crypto: webCrypto, name: 'webCrypto' };
  const node = (await import('@kraikub/adapter-http/node')) as { nodeCrypto?: CryptoPort };
  return node.nodeCrypto === undefined
    ? { crypto: webCrypto, name: 'webCrypto' }
    : { crypto: node.nodeCrypto, name: 'nodeCrypto' };
}

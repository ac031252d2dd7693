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
  type SignerPort,
  sha256Base64url,
  webCrypto,
} from '@kraikub/core';
import { createJoseSigner, generateSigningKey } from '@kraikub/jose';
import type { Work } from './protocol.ts';
import { client, parallel, type TargetSetup } from './target.ts';

/**
 * Kraikub as a user would deploy it on `node:http`: core, the given grant
 * store, and adapter-http's handler served through `toNodeHandler` (its fast
 * path: no `Request`/`Response` objects on the token endpoint).
 */
export async function kraikubTarget(
  store: GrantStore,
  crypto: CryptoPort,
  /** What the handler serves instead of the server itself (`kraikub-bridge` swaps the token use case). */
  serve: (server: AuthorizationServer) => AuthorizationServer = (server) => server,
): Promise<TargetSetup> {
  const { server, request, openidRequest } = await benchServer(store, crypto);
  const handler = createHandler(serve(server), {
    interactions: createInteractions(server, { store: new MemoryInteractionStore() }),
    interact: () => new Response('not used by the benchmark', { status: 501 }),
  });
  return {
    server,
    listener: toNodeHandler(handler),
    path: '/token',
    works: ['exchange', 'refresh', 'exchange-openid'],
    mint: (work, count) => mint(server, work === 'exchange-openid' ? openidRequest : request, work, count),
  };
}

/**
 * The signer of the benchmark's ID Tokens: `@kraikub/jose` over one ES256
 * key generated at start (P-256, as `oidc-provider`'s target signs).
 */
export async function benchSigner(): Promise<SignerPort> {
  return createJoseSigner({ keys: { keys: [await generateSigningKey('ES256', 'bench-es256')] } });
}

/**
 * The benchmark's provider: the one client, the given store, crypto and
 * clock, an ES256 signer (so it speaks OpenID Connect), and two validated
 * authorization requests to approve codes from: the plain one (scope `api`,
 * no ID Token) and an OpenID Connect one (scope `openid api` and a nonce:
 * its code exchange signs an ID Token). Shared by the HTTP targets and the
 * in-process run (`core.ts`).
 *
 * The host's claims (`findClaims`) are not asked for these ID Tokens: in the
 * code flow, claims by scope go to UserInfo and the requests have no
 * `claims` parameter, so the ID Token carries the protocol claims only
 * (`iss`, `sub`, `aud`, `azp`, `exp`, `iat`, `auth_time`, `nonce`, `at_hash`).
 */
export async function benchServer(
  store: GrantStore,
  crypto: CryptoPort,
  clock?: Clock,
): Promise<{
  server: AuthorizationServer;
  request: AuthorizationRequest;
  openidRequest: AuthorizationRequest;
}> {
  const server = createAuthorizationServer({
    config: {
      issuer: 'http://localhost:3000',
      scopes: { [client.scope]: 'Benchmark API', openid: 'Sign you in' },
    },
    clients: new MemoryClientStore([
      {
        id: client.id,
        name: 'Benchmark client',
        redirectUris: [client.redirectUri],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(crypto, client.secret),
        scopes: [client.scope, 'openid'],
        grantTypes: ['authorization_code', 'refresh_token'],
      },
    ]),
    store,
    crypto,
    signer: await benchSigner(),
    findClaims: async ({ subject }) => ({ name: `Bench user ${subject}`, email: `${subject}@example.com` }),
    ...(clock === undefined ? {} : { clock }),
  });
  const authorize = async (params: Record<string, string>) => {
    const request = await server.authorize(
      new URLSearchParams({
        response_type: 'code',
        client_id: client.id,
        redirect_uri: client.redirectUri,
        ...params,
      }),
    );
    if (request.isErr()) throw new Error(`authorize failed: ${request.error.description}`);
    return request.value;
  };
  const request = await authorize({ scope: client.scope });
  const openidRequest = await authorize({ scope: client.openidScope, nonce: client.nonce });
  if (openidRequest.openid === undefined) throw new Error('authorize: not an OpenID Connect request');
  return { server, request, openidRequest };
}

/** HTTP Basic credentials of the benchmark client. */
export const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

/**
 * Codes through `approve` (of the OpenID Connect request for
 * `exchange-openid`, with the time of authentication); refresh tokens by
 * redeeming plain codes through `token`.
 */
async function mint(
  server: AuthorizationServer,
  request: AuthorizationRequest,
  work: Work,
  count: number,
): Promise<string[]> {
  return parallel(count, 64, () => withRetries(() => mintOne(server, request, work)));
}

/**
 * Minting is outside every window: a store that answers `temporarily
 * unavailable` under load (PostgreSQL's pool on a busy machine) is given two
 * more tries before the cell fails.
 */
async function withRetries<T>(job: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await job();
    } catch (error) {
      if (attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** One credential: a code through `approve`, or a refresh token by redeeming one. */
async function mintOne(
  server: AuthorizationServer,
  request: AuthorizationRequest,
  work: Work,
): Promise<string> {
  const approved = await server.approve(request, {
    subject: client.subject,
    ...(work === 'exchange-openid' ? { authTime: Date.now() } : {}),
  });
  if (approved.isErr()) throw new Error(`approve failed: ${approved.error.description}`);
  const code = approved.value.parameters.code as string;
  if (work !== 'refresh') return code;
  const tokens = await server.token({
    params: { grant_type: 'authorization_code', code, redirect_uri: client.redirectUri },
    authorization: basic,
  });
  if (tokens.isErr()) throw new Error(`token failed: ${tokens.error.description}`);
  return tokens.value.refresh_token as string;
}

/** The `CryptoPort` a target uses: `KRAIKUB_CRYPTO=web` forces Web Crypto (the portable default). */
export async function cryptoFor(): Promise<{ crypto: CryptoPort; name: string }> {
  if (process.env.KRAIKUB_CRYPTO === 'web') return { crypto: webCrypto, name: 'webCrypto' };
  const node = (await import('@kraikub/adapter-http/node')) as { nodeCrypto?: CryptoPort };
  return node.nodeCrypto === undefined
    ? { crypto: webCrypto, name: 'webCrypto' }
    : { crypto: node.nodeCrypto, name: 'nodeCrypto' };
}

/**
 * Kraikub serving the paths every API call takes, as a user would deploy it
 * on `node:http`: core + `MemoryGrantStore` + adapter-http's `createHandler`
 * through `toNodeHandler`, access tokens in `API_FORMAT` (opaque or jwt).
 *
 * - `POST /introspect`: the handler's own introspection endpoint (RFC 7662,
 *   client_secret_basic), on `toNodeHandler`'s fast path.
 * - `GET /api/me`: a protected resource as a `node:http` app writes one (the
 *   adapter-http README's "Without a Request"), a route in front of
 *   `toNodeHandler` checking the header with `verifyBearerHeader(server, ...)`
 *   (scope `api`, audience the resource): a store lookup, so a revocation
 *   counts at once; for a JWT also its signature, `typ` and `iss`.
 * - `GET /api/me-sig` (jwt only): the same route checking by signature alone
 *   with `@kraikub/jose`'s `createJwtAccessTokenVerifier` over the server's
 *   JWKS held in memory: what a resource server in another process does.
 * - `GET /api/me-fetch`: the `/api/me` check as the README's Fetch example
 *   writes it, a route in the handler's `fallback` calling `verifyBearer`
 *   (a Web `Request` and `Response` per call, through the node bridge).
 *
 * Both answer 200 `{"sub":...}`. Access tokens are minted through
 * `approve` + the code exchange when the parent asks (`mint`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler, createInteractions, verifyBearer, verifyBearerHeader } from '@kraikub/adapter-http';
import { nodeCrypto, toNodeHandler } from '@kraikub/adapter-http/node';
import { MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import type { AccessTokenVerifier, AuthorizationServer } from '@kraikub/core';
import { createJwtAccessTokenVerifier } from '@kraikub/jose';
import { client } from '../lib/target.ts';
import { apiServer, formatFromEnv, mintAccessTokens, resource, serveApiTarget } from './api-common.ts';

serveApiTarget(async () => {
  const format = formatFromEnv();
  const { server, request } = await apiServer({ store: new MemoryGrantStore(), crypto: nodeCrypto, format });
  const jwks = await server.jwks();
  if (jwks.isErr()) throw new Error(jwks.error.description);
  // The public JWKS as `jose` types it (mutable arrays); the same document `GET /jwks` serves.
  const keys = { keys: [...jwks.value.keys] } as Parameters<typeof createJwtAccessTokenVerifier>[0]['jwks'];
  const bySignature = createJwtAccessTokenVerifier({
    issuer: server.config.issuer,
    jwks: keys,
    audience: resource,
  });
  const options = { scopes: [client.scope], audience: resource } as const;
  const route = async (verifier: AuthorizationServer | AccessTokenVerifier, req: Request) => {
    const auth = await verifyBearer(verifier, req, options);
    return auth.ok ? Response.json({ sub: auth.token.subject }) : auth.response;
  };
  const handler = createHandler(server, {
    interactions: createInteractions(server, { store: new MemoryInteractionStore() }),
    interact: () => new Response('not used by the benchmark', { status: 501 }),
    fallback: (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/me-fetch') return route(server, req);
      return new Response('not found', { status: 404 });
    },
  });
  const provider = toNodeHandler(handler);
  const nodeRoute = async (
    verifier: AuthorizationServer | AccessTokenVerifier,
    req: IncomingMessage,
    res: ServerResponse,
  ) => {
    const auth = await verifyBearerHeader(verifier, req.headers.authorization, options);
    if (!auth.ok) {
      res.writeHead(auth.status, auth.headers).end(auth.body);
      return;
    }
    const body = JSON.stringify({ sub: auth.token.subject });
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      .end(body);
  };
  return {
    listener: (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'GET' && req.url === '/api/me') return void nodeRoute(server, req, res);
      if (req.method === 'GET' && req.url === '/api/me-sig' && format === 'jwt')
        return void nodeRoute(bySignature, req, res);
      return provider(req, res);
    },
    info: { format, introspection: '/introspect' },
    async commands(command) {
      if (command.type !== 'mint') throw new Error(`unknown command ${command.type}`);
      return mintAccessTokens(server, request, Number(command.count));
    },
  };
});

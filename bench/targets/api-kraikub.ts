/**
 * Kraikub serving the paths every API call takes, as a user would deploy it
 * on `node:http`: core + `MemoryGrantStore` + adapter-http's `createHandler`
 * through `toNodeHandler`, access tokens in `API_FORMAT` (opaque or jwt).
 *
 * - `POST /introspect`: the handler's own introspection endpoint (RFC 7662,
 *   client_secret_basic), on `toNodeHandler`'s fast path.
 * - `GET /api/me`: a protected resource as the adapter-http README writes
 *   one, a Fetch route given to the handler as its `fallback` (so it gets a
 *   full `Request`), checking the token with `verifyBearer(server, ...)`
 *   (scope `api`, audience the resource): a store lookup, so a revocation
 *   counts at once; for a JWT also its signature, `typ` and `iss`.
 * - `GET /api/me-sig` (jwt only): the same route checking by signature alone
 *   with `@kraikub/jose`'s `createJwtAccessTokenVerifier` over the server's
 *   JWKS held in memory: what a resource server in another process does.
 *
 * Both answer 200 `{"sub":...}`. Access tokens are minted through
 * `approve` + the code exchange when the parent asks (`mint`).
 */
import { createHandler, createInteractions, verifyBearer } from '@kraikub/adapter-http';
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
      if (path === '/api/me') return route(server, req);
      if (path === '/api/me-sig' && format === 'jwt') return route(bySignature, req);
      return new Response('not found', { status: 404 });
    },
  });
  return {
    listener: toNodeHandler(handler),
    info: { format, introspection: '/introspect' },
    async commands(command) {
      if (command.type !== 'mint') throw new Error(`unknown command ${command.type}`);
      return mintAccessTokens(server, request, Number(command.count));
    },
  };
});

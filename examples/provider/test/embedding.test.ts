import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve as serveHono } from '@hono/node-server';
import { createHandler, createInteractions } from '@kraikub/adapter-http';
import { toNodeHandler } from '@kraikub/adapter-http/node';
import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import { createAuthorizationServer, sha256Base64url, webCrypto } from '@kraikub/core';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterEach, describe, expect, test } from 'vitest';

/**
 * The README's embedding snippets, run: the provider's Fetch handler mounted
 * in a Hono, an Express and a Fastify app next to the host's own route, then
 * the metadata, a client-credentials token and an authorization request
 * (handed to the host's login page) through each.
 */
async function provider() {
  const server = createAuthorizationServer({
    config: { issuer: 'http://127.0.0.1', scopes: { profile: 'See your name' } },
    clients: new MemoryClientStore([
      {
        id: 'api-client',
        name: 'API client',
        redirectUris: ['https://app.example/cb'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: await sha256Base64url(webCrypto, 'kbs_embedding-secret'),
        grantTypes: ['authorization_code', 'client_credentials'],
        scopes: ['profile'],
      },
    ]),
    store: new MemoryGrantStore(),
  });
  const interactions = createInteractions(server, { store: new MemoryInteractionStore() });
  return createHandler(server, {
    interactions,
    interact: ({ interactionId }) =>
      new Response(null, { status: 303, headers: { location: `/login?interaction=${interactionId}` } }),
  });
}

const oauthPaths = [
  '/authorize',
  '/token',
  '/revoke',
  '/introspect',
  '/.well-known/oauth-authorization-server',
];
let running: Server | undefined;
afterEach(async () => {
  running?.closeAllConnections();
  await new Promise((resolve) => running?.close(resolve));
  running = undefined;
});

async function listen(server: Server): Promise<string> {
  if (!server.listening) await once(server, 'listening');
  running = server;
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const frameworks: [string, () => Promise<string>][] = [
  [
    'Hono',
    async () => {
      const handler = await provider();
      const app = new Hono();
      for (const path of oauthPaths) app.all(path, (c) => handler(c.req.raw));
      app.get('/login', (c) => c.text(`your login page for ${c.req.query('interaction')?.length} chars`));
      return listen(serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
    },
  ],
  [
    'Express',
    async () => {
      const handler = await provider();
      const app = express();
      app.use(toNodeHandler(handler)); // before any body parser; other paths go on to next()
      app.get('/login', (req, res) => {
        res.send(`your login page for ${String(req.query.interaction).length} chars`);
      });
      return listen(app.listen(0, '127.0.0.1'));
    },
  ],
  [
    'Fastify',
    async () => {
      const handler = await provider();
      const app = Fastify();
      const oauth = toNodeHandler(handler);
      // Leave form bodies unread: the bridge reads them itself.
      app.addContentTypeParser('application/x-www-form-urlencoded', (_request, _payload, done) => done(null));
      for (const path of oauthPaths) {
        app.all(path, (request, reply) => {
          reply.hijack();
          oauth(request.raw, reply.raw);
        });
      }
      app.get('/login', async (request) => {
        const { interaction } = request.query as { interaction: string };
        return `your login page for ${interaction.length} chars`;
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return listen(app.server);
    },
  ],
];

describe.each(frameworks)('the provider mounted in %s', (_name, start) => {
  test('metadata, a client-credentials token, and an authorization request handed to the host', async () => {
    const base = await start();
    const metadata = await fetch(`${base}/.well-known/oauth-authorization-server`);
    expect(await metadata.json()).toMatchObject({ token_endpoint: 'http://127.0.0.1/token' });

    const token = await fetch(`${base}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa('api-client:kbs_embedding-secret')}`,
      },
      body: 'grant_type=client_credentials&scope=profile',
    });
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ token_type: 'Bearer', scope: 'profile' });

    const authorize = await fetch(
      `${base}/authorize?response_type=code&client_id=api-client&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=profile`,
      { redirect: 'manual' },
    );
    expect(authorize.status).toBe(303);
    const login = await fetch(new URL(authorize.headers.get('location') ?? '', base));
    expect(await login.text()).toBe('your login page for 43 chars');
  });
});

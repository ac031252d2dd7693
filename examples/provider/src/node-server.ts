import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { guardRequests, hardenNodeServer, nodeServerDefaults } from '@kraikub/adapter-http/node';
import type { Hono } from 'hono';
import type { AppEnv } from './app.ts';

/**
 * Serves the Hono app on Node through `@hono/node-server`, behind the
 * library's request checks (`guardRequests`: request target, Host, methods)
 * and a hardened `node:http` server (`hardenNodeServer`: parser errors,
 * expectations, half-closed connections), so no request can take the
 * process down.
 */
export function serve(app: Hono<AppEnv>): Server {
  const listener = getRequestListener(app.fetch, {
    // A request Node's adapter cannot turn into a Request: a 400 with no-store, like every refusal.
    errorHandler: () =>
      Response.json(
        { error: 'invalid_request', error_description: 'The request is malformed.' },
        { status: 400, headers: { 'cache-control': 'no-store' } },
      ),
  });
  return hardenNodeServer(
    createServer({ ...nodeServerDefaults, requireHostHeader: false }, guardRequests(listener)),
  );
}

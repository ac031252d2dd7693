import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FetchHandler } from '@kraikub/adapter-http';
import { createNodeServer } from '@kraikub/adapter-http/node';

/** A server listening on an ephemeral loopback port, whose handler is set once its URL is known. */
export interface Loopback {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Sets the handler: until then every request is a 503. */
  serve(handler: FetchHandler): void;
  close(): Promise<void>;
}

/**
 * Listens first, builds the app second: the provider's issuer and the MCP
 * server's resource identifier both name the real port, so neither can be
 * built before its port is bound (and probing for a free port would race).
 */
export async function listenOnLoopback(): Promise<Loopback> {
  let handler: FetchHandler | undefined;
  const http: Server = createNodeServer((request, info) =>
    handler === undefined ? Promise.resolve(new Response(null, { status: 503 })) : handler(request, info),
  );
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    serve(next) {
      handler = next;
    },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

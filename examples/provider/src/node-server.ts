import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FetchHandler } from '@kraikub/adapter-http';
import { createNodeServer } from '@kraikub/adapter-http/node';
import { normalizeParams, readClientCredentials } from '@kraikub/core';

const noParams = normalizeParams(undefined);

function clientOf(req: IncomingMessage): string | undefined {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) {
    const id = new URLSearchParams(url.slice(q + 1)).get('client_id');
    if (id !== null) return id.slice(0, 100);
  }
  // The client a Basic header names, decoded by core's own reader (RFC 6749 Appendix B).
  const auth = req.headers.authorization;
  if (auth === undefined) return undefined;
  const presented = readClientCredentials(auth, noParams);
  if (presented.isOk()) return presented.value.clientId.slice(0, 100);
  return undefined;
}

/**
 * Serves the provider from `node:http` (the hardened server of
 * `@kraikub/adapter-http/node`, which hands the socket's address to the
 * host routes), and logs one JSON line per request:
 * method, path (never the query: it may hold a code or state), status,
 * duration and client. Never a token, code or secret.
 */
export function serve(
  handler: FetchHandler,
  options: { readonly log: boolean; readonly out?: (line: string) => void },
): Server {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const server = createNodeServer(handler);
  // Runs before the bridge's own listener: the log line when the answer is done.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    if (options.log) {
      res.once('finish', () => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const client = clientOf(req);
        out(
          JSON.stringify({
            time: new Date().toISOString(),
            method: req.method,
            path,
            status: res.statusCode,
            duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
            ...(client === undefined ? {} : { client }),
          }),
        );
      });
    }
  });
  return server;
}

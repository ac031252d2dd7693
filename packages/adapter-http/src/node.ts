import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { type FetchHandler, type Router, routerOf } from './handler.ts';
import { type HttpInput, type HttpOutput, json, tooLarge } from './lib/http.ts';

export { nodeCrypto } from './node-crypto.ts';

/** A `node:http` request listener; with Express-style `next`, unknown paths fall through. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function originOf(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
}

function readBody(req: IncomingMessage, limit: number): Promise<string | typeof tooLarge> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      );
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function webHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  }
  return headers;
}

/** Builds a Web `Request` from a node request (only for host callbacks and foreign handlers). */
function toWebRequest(req: IncomingMessage, bodyText: string | undefined): Request {
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers: webHeaders(req) };
  if (hasBody) {
    if (bodyText !== undefined) init.body = bodyText;
    else {
      init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
      init.duplex = 'half';
    }
  }
  return new Request(new URL(req.url ?? '/', originOf(req)), init);
}

function nodeInput(req: IncomingMessage): HttpInput & { readonly tooLargeSeen: () => boolean } {
  const raw = req.url ?? '/';
  const url = raw.startsWith('/')
    ? raw
    : (() => {
        const parsed = new URL(raw, originOf(req));
        return parsed.pathname + parsed.search;
      })();
  const q = url.indexOf('?');
  let bodyText: string | undefined;
  let sawTooLarge = false;
  return {
    method: req.method ?? 'GET',
    pathname: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    header: (name) => headerOf(req, name),
    async readBody(limit) {
      if (bodyText !== undefined) return bodyText;
      const body = await readBody(req, limit);
      if (body === tooLarge) sawTooLarge = true;
      else bodyText = body;
      return body;
    },
    toRequest: () => toWebRequest(req, bodyText),
    tooLargeSeen: () => sawTooLarge,
  };
}

function writeOutput(res: ServerResponse, output: HttpOutput, close: boolean): void {
  const headers: Record<string, string> = { ...output.headers };
  if (close) headers.connection = 'close';
  headers['content-length'] = String(Buffer.byteLength(output.body));
  res.writeHead(output.status, headers);
  res.end(output.body);
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (response.statusText === '') res.writeHead(response.status, headers);
  else res.writeHead(response.status, response.statusText, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

const crashed = json(500, {
  error: 'server_error',
  error_description: 'The server encountered an unexpected error.',
});

function fail(res: ServerResponse): void {
  if (res.headersSent) res.destroy();
  else writeOutput(res, crashed, true);
}

/**
 * Serves a Fetch handler from `node:http` (and so Express, Fastify's raw
 * mode, Koa). For handlers made by {@link createHandler} it skips building
 * a `Request` and `Response` for the token, revocation, introspection and
 * metadata endpoints: plain data in, plain data out. Any other Fetch handler
 * works too, through full `Request` objects.
 *
 * Paths that are not the provider's go to the handler's `fallback` (through
 * a full `Request`), or, when called Express-style with `next`, to the next
 * middleware.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { toNodeHandler } from '@kraikub/adapter-http/node';
 * createServer(toNodeHandler(handler)).listen(3000);
 * ```
 */
export function toNodeHandler(handler: FetchHandler): NodeHandler {
  const router: Router | undefined = (handler as { [routerOf]?: Router })[routerOf];
  if (router === undefined) {
    return (req, res) => {
      handler(toWebRequest(req, undefined))
        .then((response) => writeResponse(res, response))
        .catch(() => fail(res));
    };
  }
  return (req, res, next) => {
    const input = nodeInput(req);
    router(input)
      .then((result) => {
        if (result === undefined) {
          if (next !== undefined) return next();
          // Not a provider endpoint: the handler's own fallback (the host's pages) answers.
          return handler(toWebRequest(req, undefined)).then((response) => writeResponse(res, response));
        }
        if (result instanceof Response) return writeResponse(res, result);
        return writeOutput(res, result, input.tooLargeSeen());
      })
      .catch(() => fail(res));
  };
}

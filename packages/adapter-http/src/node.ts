import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { type Duplex, Readable } from 'node:stream';
import { portFailure } from '@kraikub/core';
import type { FetchHandler } from './handler.ts';
import { BodyReadError, type HttpInput, type HttpOutput, json, noStore, tooLarge } from './lib/http.ts';
import { routerOf } from './lib/router-link.ts';
import { errorJson } from './lib/status.ts';
import {
  type AsteriskTarget,
  type CheckedTarget,
  checkTarget,
  type RejectedTarget,
  type TargetCheck,
} from './lib/target.ts';

export { nodeCrypto } from './node-crypto.ts';
export {
  createNodeFetch,
  isPublicAddress,
  type NodeFetchOptions,
  type ResolvedAddress,
} from './node-fetch.ts';

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

/** How much of an oversized body is read and thrown away, so the client can read its 413. */
const drainLimit = 16 * 1024 * 1024;

/**
 * Reads and discards the rest of an oversized body (nothing is kept). Closing
 * at once would reset a client that is still sending before it reads the
 * 413; past `drainLimit` the connection is cut after all.
 */
function drain(req: IncomingMessage): void {
  let discarded = 0;
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > drainLimit) {
      req.off('data', onData);
      req.socket?.destroy();
    }
  };
  req.on('data', onData);
  req.resume();
}

function readBody(req: IncomingMessage, limit: number): Promise<string | typeof tooLarge> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        drain(req);
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
    const onError = () => {
      cleanup();
      reject(new BodyReadError('The request body could not be read.'));
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
function toWebRequest(req: IncomingMessage, target: CheckedTarget, bodyText: string | undefined): Request {
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
  const query = target.query === '' ? '' : `?${target.query}`;
  return new Request(`${target.origin}${target.pathname}${query}`, init);
}

/** Refused when a Web `Request` cannot be built from what the client sent. */
const unreadable: RejectedTarget = {
  kind: 'rejected',
  status: 400,
  description: 'The request cannot be read.',
};

/** {@link toWebRequest}, or `undefined` when the request holds what a Web `Request` refuses. */
function webRequestOf(req: IncomingMessage, target: CheckedTarget): Request | undefined {
  try {
    return toWebRequest(req, target, undefined);
  } catch {
    return undefined;
  }
}

/** The request's method, target and `Host`, checked before anything reads them. */
function targetOf(req: IncomingMessage): TargetCheck {
  return checkTarget({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    httpVersion: req.httpVersion,
    rawHeaders: req.rawHeaders,
    host: req.headers.host,
    encrypted: (req.socket as { encrypted?: boolean } | null)?.encrypted === true,
  });
}

function nodeInput(req: IncomingMessage, target: CheckedTarget): HttpInput {
  let bodyText: string | undefined;
  return {
    method: req.method ?? 'GET',
    pathname: target.pathname,
    query: target.query,
    header: (name) => headerOf(req, name),
    remoteAddress: req.socket?.remoteAddress,
    async readBody(limit) {
      if (bodyText !== undefined) return bodyText;
      const body = await readBody(req, limit);
      if (body !== tooLarge) bodyText = body;
      return body;
    },
    toRequest: () => toWebRequest(req, target, bodyText),
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

/** The last-resort answer when writing a response failed half-way or a bug escaped: never a crash. */
const crashed = errorJson(portFailure(new Error('the node bridge failed'), 'toNodeHandler'), '');

function fail(res: ServerResponse): void {
  try {
    if (res.headersSent) res.destroy();
    else writeOutput(res, crashed, true);
  } catch {
    res.destroy();
  }
}

/** The answer to a request refused before routing (bad target or Host, unsupported method). */
function refuse(res: ServerResponse, check: RejectedTarget | AsteriskTarget): void {
  if (check.kind === 'asterisk') {
    // RFC 9110 section 9.3.7: `OPTIONS *` asks what the server supports in general.
    writeOutput(
      res,
      { status: 204, headers: { allow: 'GET, HEAD, POST, OPTIONS', ...noStore }, body: '' },
      false,
    );
    return;
  }
  const output = json(
    check.status,
    { error: 'invalid_request', error_description: check.description },
    noStore,
  );
  // A request this broken may have framing to match: do not reuse the connection.
  writeOutput(res, output, true);
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
 * import type { FetchHandler } from '@kraikub/adapter-http';
 * import { toNodeHandler } from '@kraikub/adapter-http/node';
 * declare const handler: FetchHandler; // from createHandler
 * createServer(toNodeHandler(handler)).listen(3000);
 * ```
 */
export function toNodeHandler(handler: FetchHandler): NodeHandler {
  const router = routerOf(handler);
  const serve = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    const target = targetOf(req);
    if (target.kind !== 'origin') return refuse(res, target);
    if (router === undefined) {
      const request = webRequestOf(req, target);
      if (request === undefined) return refuse(res, unreadable);
      return handler(request, { remoteAddress: req.socket?.remoteAddress })
        .then((response) => writeResponse(res, response))
        .catch(() => fail(res));
    }
    const input = nodeInput(req, target);
    return router(input)
      .then((result) => {
        if (result === undefined) {
          if (next !== undefined) return next();
          // Not a provider endpoint: the handler's own fallback (the host's pages) answers.
          const request = webRequestOf(req, target);
          if (request === undefined) return refuse(res, unreadable);
          return handler(request, { remoteAddress: req.socket?.remoteAddress }).then((response) =>
            writeResponse(res, response),
          );
        }
        if (result instanceof Response) return writeResponse(res, result);
        // An oversized body is being drained: the connection stays usable (see drain).
        return writeOutput(res, result, false);
      })
      .catch(() => fail(res));
  };
  // Every request is isolated: nothing it carries may throw out of the listener and end the process.
  return (req, res, next) => {
    try {
      void serve(req, res, next);
    } catch {
      fail(res);
    }
  };
}

/** Options of {@link createNodeServer}: `node:http`'s own, with safer defaults. */
export type NodeServerOptions = Omit<ServerOptions, 'requireHostHeader'>;

/** A `node:http` request listener. */
export type NodeRequestListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Node's parser errors that have a status of their own; the rest are a 400. */
const parserStatus: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * Wraps any `node:http` request listener (a framework's adapter, say) with
 * the bridge's checks: the method, the request target and the `Host` are
 * checked before the listener sees them (RFC 9112 section 3.2: `OPTIONS *`
 * answered, malformed targets and Hosts a 400, CONNECT/TRACE/TRACK a 405, all
 * with `no-store`), and nothing the listener throws or rejects escapes as a
 * crash. {@link toNodeHandler} already does this itself.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { guardRequests, hardenNodeServer, type NodeRequestListener } from '@kraikub/adapter-http/node';
 * declare const frameworkListener: NodeRequestListener; // e.g. @hono/node-server's getRequestListener(app.fetch)
 * hardenNodeServer(createServer({ requireHostHeader: false }, guardRequests(frameworkListener))).listen(3000);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-3.2
 */
export function guardRequests(listener: NodeRequestListener): NodeRequestListener {
  return (req, res) => {
    try {
      const target = targetOf(req);
      if (target.kind !== 'origin') return refuse(res, target);
      const answered = listener(req, res);
      if (answered instanceof Promise) answered.catch(() => fail(res));
    } catch {
      fail(res);
    }
  };
}

/**
 * Hardens a `node:http` server for hostile traffic: a request that Node's own
 * parser refuses (bad framing, an invalid request line, oversized headers)
 * gets a plain 400 (408, 431) with `Cache-Control: no-store` and the
 * connection closed, instead of Node's bare answer; an `Expect` other than
 * `100-continue` is a 417 with `no-store`; a client that half-closes after
 * its request still gets its answer. Create the server with
 * `requireHostHeader: false`, so a missing `Host` reaches the listener's own
 * check ({@link guardRequests}, {@link toNodeHandler}).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { hardenNodeServer, toNodeHandler } from '@kraikub/adapter-http/node';
 * declare const handler: (request: Request) => Promise<Response>;
 * hardenNodeServer(createServer({ requireHostHeader: false }, toNodeHandler(handler))).listen(3000);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-9.6
 */
export function hardenNodeServer<S extends Server>(server: S): S {
  // A client may half-close its side once its request is sent (RFC 9112 section 9.6); Node
  // would then drop the connection before an asynchronous answer is written.
  // (`httpAllowHalfOpen` is how node:http's own server decides; it is not in @types/node.)
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // RFC 9110 section 10.1.1: an expectation other than 100-continue is a 417, with no-store.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    writeOutput(
      res,
      json(417, { error: 'invalid_request', error_description: 'The expectation cannot be met.' }, noStore),
      true,
    );
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (
      !socket.writable ||
      (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    ) {
      socket.destroy();
      return;
    }
    const status = parserStatus[error.code ?? ''] ?? 400;
    const body = JSON.stringify({
      error: 'invalid_request',
      error_description: status === 408 ? 'The request took too long.' : 'The request is malformed.',
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `cache-control: no-store\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  return server;
}

/** The server timeouts {@link createNodeServer} starts from: a slow client cannot hold a socket forever. */
export const nodeServerDefaults = { headersTimeout: 20_000, requestTimeout: 60_000 } as const;

/**
 * Creates a `node:http` server for a Fetch handler, hardened for hostile
 * traffic ({@link hardenNodeServer}), every request going through
 * {@link toNodeHandler}.
 *
 * @example
 * ```ts
 * import { createNodeServer } from '@kraikub/adapter-http/node';
 * declare const handler: (request: Request) => Promise<Response>;
 * createNodeServer(handler).listen(3000);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-3
 */
export function createNodeServer(handler: FetchHandler, options: NodeServerOptions = {}): Server {
  const listener = toNodeHandler(handler);
  return hardenNodeServer(
    createServer({ ...nodeServerDefaults, ...options, requireHostHeader: false }, (req, res) =>
      listener(req, res),
    ),
  );
}

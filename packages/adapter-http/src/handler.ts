import type { AuthorizationServer, OAuthError } from '@kraikub/core';
import { authorizationEndpoint, type InteractCallback } from './endpoints/authorization.ts';
import { formEndpoint } from './endpoints/form-endpoints.ts';
import type { Interactions } from './interactions.ts';
import { type ErrorPageRenderer, errorPage } from './lib/html.ts';
import {
  BodyReadError,
  type EndpointResult,
  failureOf,
  forgetLastInput,
  type HttpInput,
  type HttpOutput,
  json,
  noStore,
  tooLarge,
  toResponse,
} from './lib/http.ts';

/** What {@link HandlerOptions.sourceOf} reads of a request. */
export interface RequestSource {
  /** The peer address the runtime saw (the socket), when known. */
  readonly remoteAddress: string | undefined;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
}

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  /** Pending authorization requests (see {@link createInteractions}). */
  readonly interactions: Interactions;
  /** The host's login and consent step. */
  readonly interact: InteractCallback;
  /** Largest request body read, in bytes; larger ones get 413. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Realm in `WWW-Authenticate` headers. Default: the issuer. */
  readonly realm?: string;
  /**
   * Called with every OAuth error answered at the token, revocation and
   * introspection endpoints, and with unexpected exceptions: for logs
   * (`error.detail` is developer-only and never sent to clients).
   */
  readonly onError?: (event: { readonly endpoint: string; readonly error: OAuthError | unknown }) => void;
  /**
   * Answers paths that are not the provider's (the host's own pages).
   * Default: 404 JSON. When it throws, the handler answers for it: 503 for a
   * store that is unavailable (core's `StorageUnavailableError`, or any error
   * with `transient: true`), 500 otherwise; an HTML page for browsers
   * (`Accept: text/html`), JSON otherwise; always `Cache-Control: no-store`.
   */
  readonly fallback?: (request: Request) => Response | Promise<Response>;
  /**
   * Renders the HTML of error pages (a non-redirectable authorization error,
   * a failure on the way to a page): your branded page instead of the
   * library's plain one. Return the HTML; status, `Content-Type`,
   * `Cache-Control: no-store` and the clickjacking headers are added for you.
   */
  readonly errorPage?: ErrorPageRenderer;
  /**
   * Who sent a request, for the per-source cap on pending interactions (see
   * `createInteractions`' `limits`). Default: the peer address (the `node:http`
   * bridge's socket, or what the caller passed as the handler's second
   * argument). Behind a reverse proxy, read the address your proxy sets.
   */
  readonly sourceOf?: (request: RequestSource) => string | undefined;
}

/** What a runtime may tell the handler about a request beside the `Request` itself. */
export interface RequestInfo {
  /** The peer address (Deno's `info.remoteAddr.hostname`, Bun's `server.requestIP(req)?.address`). */
  readonly remoteAddress?: string | undefined;
}

/** A Fetch API handler: `(request) => Promise<Response>`. */
export type FetchHandler = (request: Request, info?: RequestInfo) => Promise<Response>;

/** The runtime-neutral core of the handler: plain data in, plain data (or a host Response) out. */
export type Router = (input: HttpInput) => Promise<EndpointResult | undefined>;

/** Where the handler keeps its router, for the `node:http` bridge's fast path. */
export const routerOf: unique symbol = Symbol.for('kraikub.adapter-http.router');

/** A {@link FetchHandler} that also carries its {@link Router}. */
export type ProviderHandler = FetchHandler & { readonly [routerOf]: Router };

function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** How long a caller refused by the caps on pending interactions is asked to wait. */
const retryAfterSeconds = 60;

/**
 * The routing table: endpoint paths from the server's metadata, plus the
 * RFC 8414 well-known path (issuer path appended after it).
 */
export function createRouter(server: AuthorizationServer, options: HandlerOptions): Router {
  const meta = server.metadata();
  const issuerPath = pathOf(meta.issuer).replace(/\/$/, '');
  const paths = {
    authorization: pathOf(meta.authorization_endpoint),
    token: pathOf(meta.token_endpoint),
    revocation: pathOf(meta.revocation_endpoint),
    introspection: pathOf(meta.introspection_endpoint),
    metadata: `/.well-known/oauth-authorization-server${issuerPath}`,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const realm = options.realm ?? meta.issuer;
  const report = (endpoint: string) => (error: unknown) => options.onError?.({ endpoint, error });
  const metadataBody = JSON.stringify(meta);
  // Built once, not per request.
  const formOptions = (endpoint: string) => ({ maxBodyBytes, realm, onError: report(endpoint) });
  const tokenOptions = formOptions('token');
  const introspectionOptions = formOptions('introspection');
  const revocationOptions = formOptions('revocation');
  const page = pageWith(options.errorPage);
  const authorizationOptions = {
    interactions: options.interactions,
    interact: options.interact,
    maxBodyBytes,
    page,
    sourceOf: options.sourceOf ?? ((input: RequestSource) => input.remoteAddress),
    retryAfterSeconds,
  };

  return async (input) => {
    const path = input.pathname;
    try {
      return await route(input, path);
    } finally {
      forgetLastInput();
    }
  };

  async function route(input: HttpInput, path: string): Promise<EndpointResult | undefined> {
    try {
      if (path === paths.token) return await formEndpoint(server, 'token', input, tokenOptions);
      if (path === paths.introspection) {
        return await formEndpoint(server, 'introspection', input, introspectionOptions);
      }
      if (path === paths.revocation) {
        return await formEndpoint(server, 'revocation', input, revocationOptions);
      }
      if (path === paths.authorization) {
        try {
          return await authorizationEndpoint(server, input, authorizationOptions);
        } catch (cause) {
          if (cause instanceof BodyReadError) return page(400, 'invalid_request', cause.message);
          report('authorization')(cause);
          // The interaction store failing (Redis down) is transient: 503, like the other endpoints.
          const failure = failureOf(cause);
          return page(failure.status, failure.error, failure.description);
        }
      }
      if (path === paths.metadata) {
        if (input.method !== 'GET' && input.method !== 'HEAD') {
          return json(
            405,
            { error: 'invalid_request', error_description: 'Use GET.' },
            { allow: 'GET, HEAD', ...noStore },
          );
        }
        // Public, cacheable, and readable cross-origin (browser-based clients discover it).
        return {
          status: 200,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'public, max-age=300',
            'access-control-allow-origin': '*',
          },
          body: metadataBody,
        };
      }
      return undefined;
    } catch (cause) {
      if (cause instanceof BodyReadError) {
        return json(400, { error: 'invalid_request', error_description: cause.message }, { ...noStore });
      }
      report(path)(cause);
      const failure = failureOf(cause);
      return json(
        failure.status,
        { error: failure.error, error_description: failure.description },
        { ...noStore },
      );
    }
  }
}

type Page = (
  status: number,
  error: string,
  description: string,
  headers?: Record<string, string>,
) => HttpOutput;

/** Error pages rendered by the host's renderer (or the library's). */
function pageWith(render: ErrorPageRenderer | undefined): Page {
  return (status, error, description, headers) => errorPage(status, error, description, render, headers);
}

const decoder = new TextDecoder();

/** Reads a Web stream body up to `limit` bytes; a broken stream is a {@link BodyReadError}. */
async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<string | typeof tooLarge> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        return tooLarge;
      }
      chunks.push(value);
    }
  } catch {
    throw new BodyReadError('The request body could not be read.');
  }
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(all);
}

/** The {@link HttpInput} of a Web `Request`. */
export function inputFromRequest(request: Request, info?: RequestInfo): HttpInput {
  const url = new URL(request.url);
  return {
    method: request.method,
    pathname: url.pathname,
    query: url.search.slice(1),
    header: (name) => request.headers.get(name) ?? undefined,
    remoteAddress: info?.remoteAddress,
    readBody: (limit) => readLimited(request.body, limit),
    toRequest: () => request,
  };
}

/** Whether a request asks for a page (a browser navigating) rather than data. */
function wantsHtml(request: Request): boolean {
  return (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * Creates the provider's Fetch API handler: authorization, token,
 * revocation, introspection and metadata endpoints, for any runtime that
 * speaks Web `Request`/`Response` (Node 20+, Deno, Bun, workers, Hono,
 * Next.js route handlers).
 *
 * @example
 * ```ts
 * import { createHandler, createInteractions } from '@kraikub/adapter-http';
 * import { MemoryInteractionStore } from '@kraikub/adapter-memory';
 * import type { AuthorizationRequest, AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 * declare function renderLogin(request: AuthorizationRequest, interactionId: string): Response;
 *
 * const interactions = createInteractions(server, { store: new MemoryInteractionStore() });
 * const handler = createHandler(server, {
 *   interactions,
 *   interact: ({ request, interactionId }) => renderLogin(request, interactionId),
 * });
 * // Deno.serve(handler)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3
 */
export function createHandler(server: AuthorizationServer, options: HandlerOptions): ProviderHandler {
  const router = createRouter(server, options);
  const page = pageWith(options.errorPage);
  const fallback =
    options.fallback ??
    (() =>
      toResponse(json(404, { error: 'not_found', error_description: 'No such endpoint.' }, { ...noStore })));
  /** The host's pages: whatever they throw is answered here, never passed on as a crash. */
  const host = async (request: Request): Promise<Response> => {
    try {
      return await fallback(request);
    } catch (cause) {
      options.onError?.({ endpoint: 'fallback', error: cause });
      const failure = failureOf(cause);
      return toResponse(
        wantsHtml(request)
          ? page(failure.status, failure.error, failure.description)
          : json(
              failure.status,
              { error: failure.error, error_description: failure.description },
              { ...noStore },
            ),
      );
    }
  };
  const handler = async (request: Request, info?: RequestInfo): Promise<Response> => {
    const result = await router(inputFromRequest(request, info));
    return result === undefined ? host(request) : toResponse(result);
  };
  return Object.assign(handler, { [routerOf]: router });
}

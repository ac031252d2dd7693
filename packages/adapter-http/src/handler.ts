import type { AuthorizationServer, OAuthError } from '@kraikub/core';
import { authorizationEndpoint, type InteractCallback } from './endpoints/authorization.ts';
import { formEndpoint } from './endpoints/form-endpoints.ts';
import type { Interactions } from './interactions.ts';
import { errorPage } from './lib/html.ts';
import {
  type EndpointResult,
  type HttpInput,
  isTransient,
  json,
  noStore,
  tooLarge,
  toResponse,
} from './lib/http.ts';

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
  /** Answers paths that are not the provider's. Default: 404 JSON. */
  readonly fallback?: (request: Request) => Response | Promise<Response>;
}

/** A Fetch API handler: `(request) => Promise<Response>`. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** The runtime-neutral core of the handler: plain data in, plain data (or a host Response) out. */
export type Router = (input: HttpInput) => Promise<EndpointResult | undefined>;

/** Where the handler keeps its router, for the `node:http` bridge's fast path. */
export const routerOf: unique symbol = Symbol.for('kraikub.adapter-http.router');

/** A {@link FetchHandler} that also carries its {@link Router}. */
export type ProviderHandler = FetchHandler & { readonly [routerOf]: Router };

function pathOf(url: string): string {
  return new URL(url).pathname;
}

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

  return async (input) => {
    const path = input.pathname;
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
          return await authorizationEndpoint(
            server,
            options.interactions,
            options.interact,
            input,
            maxBodyBytes,
          );
        } catch (cause) {
          report('authorization')(cause);
          // The interaction store failing (Redis down) is transient: 503, like the other endpoints.
          return isTransient(cause)
            ? errorPage(
                503,
                'temporarily_unavailable',
                'The service is temporarily unavailable. Try again later.',
              )
            : errorPage(500, 'server_error', 'The server encountered an unexpected error.');
        }
      }
      if (path === paths.metadata) {
        if (input.method !== 'GET' && input.method !== 'HEAD') {
          return json(
            405,
            { error: 'invalid_request', error_description: 'Use GET.' },
            { allow: 'GET, HEAD' },
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
      report(path)(cause);
      return json(
        500,
        { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
        { ...noStore },
      );
    }
  };
}

const decoder = new TextDecoder();

/** Reads a Web stream body up to `limit` bytes. */
async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<string | typeof tooLarge> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
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
export function inputFromRequest(request: Request): HttpInput {
  const url = new URL(request.url);
  return {
    method: request.method,
    pathname: url.pathname,
    query: url.search.slice(1),
    header: (name) => request.headers.get(name) ?? undefined,
    readBody: (limit) => readLimited(request.body, limit),
    toRequest: () => request,
  };
}

/**
 * Creates the provider's Fetch API handler: authorization, token,
 * revocation, introspection and metadata endpoints, for any runtime that
 * speaks Web `Request`/`Response` (Node 20+, Deno, Bun, workers, Hono,
 * Next.js route handlers).
 *
 * @example
 * ```ts
 * const interactions = createInteractions(server, { store: new MemoryInteractionStore() });
 * const handler = createHandler(server, {
 *   interactions,
 *   interact: ({ request, interactionId }) => renderLogin(request, interactionId),
 * });
 * Deno.serve(handler);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3
 */
export function createHandler(server: AuthorizationServer, options: HandlerOptions): ProviderHandler {
  const router = createRouter(server, options);
  const fallback =
    options.fallback ??
    (() => toResponse(json(404, { error: 'not_found', error_description: 'No such endpoint.' })));
  const handler = async (request: Request): Promise<Response> => {
    const result = await router(inputFromRequest(request));
    return result === undefined ? fallback(request) : toResponse(result);
  };
  return Object.assign(handler, { [routerOf]: router });
}

import { type AuthorizationServer, type OAuthError, oauthError } from '@kraikub/core';
import { authorizationEndpoint, type InteractCallback } from './endpoints/authorization.ts';
import { emptyAnswer, type FormEndpoint, formEndpoint, jsonAnswer } from './endpoints/form-endpoints.ts';
import {
  type EndSessionCallback,
  endSessionEndpoint,
  jwksEndpoint,
  userinfoEndpoint,
} from './endpoints/openid.ts';
import {
  clientConfigurationEndpoint,
  clientIdOfPath,
  fixedWindowRateLimiter,
  type RegistrationRateLimiter,
  registrationEndpoint,
} from './endpoints/registration.ts';
import type { Interactions } from './interactions.ts';
import { type ErrorPageRenderer, errorPage, signedOutPage } from './lib/html.ts';
import {
  BodyReadError,
  type EndpointResult,
  forgetLastInput,
  type HttpInput,
  type HttpOutput,
  json,
  noStore,
  tooLarge,
  toResponse,
} from './lib/http.ts';
import { linkRouter, type Router } from './lib/router-link.ts';
import { errorJson, failureOf, statusOf } from './lib/status.ts';

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
   * Answers paths that are not the provider's (the host's own pages), with
   * what the runtime told about the request (the peer address, from the
   * `node:http` bridge or the handler's second argument). Default: 404 JSON. When it throws, the handler answers for it: 503 for a
   * store that is unavailable (core's `StorageUnavailableError`, or any error
   * with `transient: true`), 500 otherwise; an HTML page for browsers
   * (`Accept: text/html`), JSON otherwise; always `Cache-Control: no-store`.
   */
  readonly fallback?: (request: Request, info: RequestInfo) => Response | Promise<Response>;
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
  /**
   * OpenID Connect RP-initiated logout: ends the host's session for the
   * checked request. Without a valid `id_token_hint` (`request.hinted` is
   * false) anyone could have sent the user here: ask before signing out
   * (answer with your own confirmation page). Return headers (a `Set-Cookie`
   * that clears the session) to add to the redirect back to the client.
   */
  readonly endSession?: EndSessionCallback;
  /** The page after a logout with nowhere to go back to (HTML). Default: the library's plain page. */
  readonly signedOutPage?: () => string;
  /**
   * Limits dynamic client registrations (when the server has them on) per
   * source (see `sourceOf`): 429 with `Retry-After` beyond it. Default: 20
   * a minute per source, counted in this process ({@link fixedWindowRateLimiter});
   * `false` turns the limit off (a gateway limits instead).
   */
  readonly registrationRateLimit?: RegistrationRateLimiter | false;
}

/** What a runtime may tell the handler about a request beside the `Request` itself. */
export interface RequestInfo {
  /** The peer address (Deno's `info.remoteAddr.hostname`, Bun's `server.requestIP(req)?.address`). */
  readonly remoteAddress?: string | undefined;
}

/** A Fetch API handler: `(request) => Promise<Response>`, with optional facts about the request. */
export type FetchHandler = (request: Request, info?: RequestInfo) => Promise<Response>;

function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** How long a caller refused by the caps on pending interactions is asked to wait. */
const retryAfterSeconds = 60;

/** One endpoint: it answers whatever reaches its path. */
type Route = (input: HttpInput) => Promise<EndpointResult>;

/**
 * The routing table, built once: each endpoint path (from the server's
 * metadata, plus the RFC 8414 well-known path with the issuer's path
 * appended) mapped to its endpoint. A request is looked up once; anything
 * else is the host's.
 */
export function createRouter(server: AuthorizationServer, options: HandlerOptions): Router {
  const meta = server.metadata();
  const issuerPath = pathOf(meta.issuer).replace(/\/$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const realm = options.realm ?? meta.issuer;
  const report = (endpoint: string) => (error: unknown) => options.onError?.({ endpoint, error });
  const page = pageWith(options.errorPage);
  const form = <T>(name: string, endpoint: FormEndpoint<T>): Route => {
    const settings = { maxBodyBytes, realm, onError: report(name) };
    return (input) => formEndpoint(endpoint, input, settings);
  };
  /** Who sent a request: for the caps on pending interactions and the registration rate limit. */
  const sourceOf = options.sourceOf ?? ((input: RequestSource) => input.remoteAddress);
  const authorization = {
    interactions: options.interactions,
    interact: options.interact,
    maxBodyBytes,
    page,
    sourceOf,
    retryAfterSeconds,
  };
  const metadataBody = JSON.stringify(meta);
  const metadataRoute: Route = async (input) => {
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
  };

  const routes = new Map<string, Route>([
    [
      pathOf(meta.token_endpoint),
      form('token', { call: (r) => server.token(r), respond: jsonAnswer, alwaysChallenge: false }),
    ],
    [
      pathOf(meta.revocation_endpoint),
      form('revocation', { call: (r) => server.revoke(r), respond: emptyAnswer, alwaysChallenge: false }),
    ],
    [
      pathOf(meta.introspection_endpoint),
      form('introspection', {
        call: (r) => server.introspect(r),
        respond: jsonAnswer,
        alwaysChallenge: true,
      }),
    ],
    [
      pathOf(meta.authorization_endpoint),
      async (input) => {
        try {
          return await authorizationEndpoint(server, input, authorization);
        } catch (cause) {
          if (cause instanceof BodyReadError) return page(400, 'invalid_request', cause.message);
          report('authorization')(cause);
          // The interaction store failing (Redis down) is transient: 503, like the other endpoints.
          return errorPageOf(page, failureOf(cause, 'the authorization endpoint'));
        }
      },
    ],
    [`/.well-known/oauth-authorization-server${issuerPath}`, metadataRoute],
  ]);

  // OpenID Connect, when the server has a signer.
  if (
    meta.jwks_uri !== undefined &&
    meta.userinfo_endpoint !== undefined &&
    meta.end_session_endpoint !== undefined
  ) {
    // OpenID Connect Discovery section 4: the issuer's path, then the well-known segment.
    routes.set(`${issuerPath}/.well-known/openid-configuration`, metadataRoute);
    routes.set(pathOf(meta.jwks_uri), (input) => jwksEndpoint(server, input));
    routes.set(pathOf(meta.userinfo_endpoint), (input) =>
      userinfoEndpoint(server, input, { realm, maxBodyBytes }),
    );
    const endSession = {
      maxBodyBytes,
      endSession: options.endSession,
      page,
      signedOut: () => signedOutPage(options.signedOutPage),
    };
    routes.set(pathOf(meta.end_session_endpoint), (input) => endSessionEndpoint(server, input, endSession));
  }

  // Dynamic client registration (RFC 7591) and each client's configuration endpoint (RFC 7592).
  const registrationPath =
    meta.registration_endpoint === undefined ? undefined : pathOf(meta.registration_endpoint);
  let configuration: ((input: HttpInput, clientId: string) => Promise<EndpointResult>) | undefined;
  if (registrationPath !== undefined) {
    const settings = {
      maxBodyBytes,
      realm,
      rateLimit:
        options.registrationRateLimit === false
          ? undefined
          : (options.registrationRateLimit ?? fixedWindowRateLimiter()),
      sourceOf,
    };
    routes.set(registrationPath, (input) => registrationEndpoint(server, input, settings));
    configuration = (input, clientId) => clientConfigurationEndpoint(server, input, clientId, settings);
  }

  return async (input) => {
    let route = routes.get(input.pathname);
    if (route === undefined && configuration !== undefined && registrationPath !== undefined) {
      const clientId = clientIdOfPath(input.pathname, registrationPath);
      const manage = configuration;
      if (clientId !== undefined) route = (request) => manage(request, clientId);
    }
    if (route === undefined) return undefined;
    try {
      return await route(input);
    } catch (cause) {
      if (cause instanceof BodyReadError)
        return errorJson(oauthError('invalid_request', cause.message), realm);
      report(input.pathname)(cause);
      return errorJson(failureOf(cause, input.pathname), realm);
    } finally {
      forgetLastInput();
    }
  };
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

/** The page of an OAuth error, with the status the table gives it. */
function errorPageOf(page: Page, error: OAuthError): HttpOutput {
  return page(statusOf(error), error.error, error.description);
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
  let bodyText: string | undefined;
  return {
    method: request.method,
    pathname: url.pathname,
    query: url.search.slice(1),
    header: (name) => request.headers.get(name) ?? undefined,
    remoteAddress: info?.remoteAddress,
    async readBody(limit) {
      if (bodyText !== undefined) return bodyText;
      const body = await readLimited(request.body, limit);
      if (body !== tooLarge) bodyText = body;
      return body;
    },
    // Once the body was read, the host gets a request that still carries it.
    toRequest: () => (bodyText === undefined ? request : new Request(request, { body: bodyText })),
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
export function createHandler(server: AuthorizationServer, options: HandlerOptions): FetchHandler {
  const router = createRouter(server, options);
  const page = pageWith(options.errorPage);
  const realm = options.realm ?? server.config.issuer;
  const fallback =
    options.fallback ??
    (() =>
      toResponse(json(404, { error: 'not_found', error_description: 'No such endpoint.' }, { ...noStore })));
  /** The host's pages: whatever they throw is answered here, never passed on as a crash. */
  const host = async (request: Request, info: RequestInfo): Promise<Response> => {
    try {
      return await fallback(request, info);
    } catch (cause) {
      options.onError?.({ endpoint: 'fallback', error: cause });
      const failure = failureOf(cause, 'the host route');
      return toResponse(wantsHtml(request) ? errorPageOf(page, failure) : errorJson(failure, realm));
    }
  };
  const handler = async (request: Request, info?: RequestInfo): Promise<Response> => {
    const result = await router(inputFromRequest(request, info));
    return result === undefined ? host(request, info ?? {}) : toResponse(result);
  };
  return linkRouter(handler, router);
}

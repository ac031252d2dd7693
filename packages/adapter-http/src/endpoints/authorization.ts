import type { AuthorizationRequest, AuthorizationServer } from '@kraikub/core';
import type { Decision, Interactions } from '../interactions.ts';
import {
  type EndpointResult,
  type HttpInput,
  type HttpOutput,
  htmlSecurityHeaders,
  redirect,
  tooLarge,
} from '../lib/http.ts';
import { statusOf } from '../lib/status.ts';

/** What the host's interaction callback gets. */
export interface InteractionContext {
  /** The validated authorization request: client, scopes, redirect URI, state. */
  readonly request: AuthorizationRequest;
  /** The opaque reference to resume this request with `interactions.complete(...)`. */
  readonly interactionId: string;
  /** The incoming HTTP request (cookies, headers) for the host's session. */
  readonly httpRequest: Request;
}

/**
 * The host's part: log the user in and ask for consent. Answer with your own
 * page (a `Response`), or with a decision when you can decide at once (an
 * existing session and remembered consent).
 *
 * For an OpenID Connect request, `request.openid` says what the client
 * asked: honour `prompt` (`login`: authenticate again; `consent`: ask
 * again; `none`: decide at once or deny with `login_required`,
 * `consent_required` or `interaction_required`; a page answered to
 * `prompt=none` becomes `interaction_required`), `maxAge`, `loginHint`,
 * and report `authTime`, `acr`, `amr` in the approval.
 */
export type InteractCallback = (
  context: InteractionContext,
) => Promise<Response | Decision> | Response | Decision;

/** Adds the clickjacking and referrer headers to a host's HTML page when it lacks them. */
function hardenHostPage(response: Response): Response {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/html')) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(htmlSecurityHeaders)) {
    if (name === 'content-security-policy') {
      const csp = headers.get(name);
      if (csp === null) headers.set(name, "frame-ancestors 'none'");
      else if (!csp.includes('frame-ancestors')) headers.set(name, `${csp}; frame-ancestors 'none'`);
    } else if (!headers.has(name)) {
      headers.set(name, value);
    }
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Reads the authorization request's parameters: the query (GET) or the form body (POST). */
async function readParams(
  input: HttpInput,
  maxBodyBytes: number,
): Promise<URLSearchParams | typeof tooLarge | 'bad_type'> {
  if (input.method === 'GET') return new URLSearchParams(input.query);
  const type = (input.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return 'bad_type';
  const body = await input.readBody(maxBodyBytes);
  return body === tooLarge ? tooLarge : new URLSearchParams(body);
}

/** What the authorization endpoint needs besides the server. */
export interface AuthorizationEndpointOptions {
  readonly interactions: Interactions;
  readonly interact: InteractCallback;
  readonly maxBodyBytes: number;
  /** An HTML error page with this status (the host's branded one, or the library's). */
  readonly page: (
    status: number,
    error: string,
    description: string,
    headers?: Record<string, string>,
  ) => HttpOutput;
  /** Who sent the request, for the per-source cap on pending interactions. */
  readonly sourceOf: (input: HttpInput) => string | undefined;
  /** Seconds a refused caller is asked to wait (`Retry-After`). */
  readonly retryAfterSeconds: number;
}

/**
 * `GET|POST /authorize`: validate; a non-redirectable error is an HTML page,
 * a redirectable one a redirect; a valid request goes to the host.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export async function authorizationEndpoint(
  server: AuthorizationServer,
  input: HttpInput,
  options: AuthorizationEndpointOptions,
): Promise<EndpointResult> {
  const { page } = options;
  if (input.method !== 'GET' && input.method !== 'POST') {
    return page(405, 'invalid_request', 'Use GET or POST.', { allow: 'GET, POST' });
  }
  const params = await readParams(input, options.maxBodyBytes);
  if (params === tooLarge) return page(413, 'invalid_request', 'The request is too large.');
  if (params === 'bad_type') return page(400, 'invalid_request', 'The request body must be form-encoded.');
  // RFC 6749 section 3.1: after a POST, redirect with 303 so the browser does not re-POST.
  const status = input.method === 'POST' ? 303 : 302;

  const validated = await server.authorize(params);
  if (validated.isErr()) {
    const error = validated.error;
    const back = server.errorResponse(error);
    return back === undefined
      ? page(statusOf(error), error.error, error.description)
      : redirect(status, back.url);
  }

  const request = validated.value;
  const started = await options.interactions.start(request, { source: options.sourceOf(input) });
  if (!started.ok) {
    const retryAfter = { 'retry-after': String(options.retryAfterSeconds) };
    return started.limit === 'source'
      ? page(
          429,
          'temporarily_unavailable',
          'Too many sign-in requests are pending from your network. Wait a few minutes and try again.',
          retryAfter,
        )
      : page(
          503,
          'temporarily_unavailable',
          'Too many sign-in requests are pending. Try again in a few minutes.',
          retryAfter,
        );
  }
  const { interactionId } = started;
  const answer = await options.interact({ request, interactionId, httpRequest: input.toRequest() });
  if (answer instanceof Response) {
    // OpenID Connect prompt=none: never a page. The host wanted to show one, so a decision was not possible.
    if (request.openid?.prompt.includes('none') !== true) return hardenHostPage(answer);
    const none = await options.interactions.complete(interactionId, {
      type: 'deny',
      error: 'interaction_required',
    });
    return 'location' in none
      ? redirect(status, none.location)
      : page(400, 'invalid_request', 'The authorization request expired. Start again.');
  }
  const done = await options.interactions.complete(interactionId, answer);
  if ('location' in done) return redirect(status, done.location);
  if (done.kind === 'not_found')
    return page(400, 'invalid_request', 'The authorization request expired. Start again.');
  return page(done.status, done.error, done.description);
}

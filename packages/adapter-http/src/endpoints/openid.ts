import type { AuthorizationServer, EndSessionRequest } from '@kraikub/core';
import { bearerChallenge, readBearer } from '../lib/bearer-header.ts';
import {
  type EndpointResult,
  type HttpInput,
  type HttpOutput,
  json,
  noStore,
  redirect,
  tooLarge,
} from '../lib/http.ts';
import { errorJson, statusOf } from '../lib/status.ts';

/** Readable from any origin (single-page apps call UserInfo with a bearer token, never cookies). */
const cors = { 'access-control-allow-origin': '*' };

/**
 * `GET|POST /userinfo`: the bearer token from the `Authorization` header
 * (or, for a form POST, the `access_token` body parameter, RFC 6750
 * section 2.2); the claims as JSON; RFC 6750 errors with their challenge.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
export async function userinfoEndpoint(
  server: AuthorizationServer,
  input: HttpInput,
  options: { readonly realm: string; readonly maxBodyBytes: number },
): Promise<EndpointResult> {
  const challenge = (status: number, fields: Record<string, string> = {}) =>
    bearerChallenge(status, { realm: options.realm, ...fields }, cors);
  if (input.method === 'OPTIONS') {
    return {
      status: 204,
      headers: {
        ...cors,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      },
      body: '',
    };
  }
  if (input.method !== 'GET' && input.method !== 'POST') {
    return json(
      405,
      { error: 'invalid_request', error_description: 'Use GET or POST.' },
      { ...noStore, allow: 'GET, POST' },
    );
  }
  let header = readBearer(input.header('authorization'));
  const type = (input.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (input.method === 'POST' && type === 'application/x-www-form-urlencoded') {
    const body = await input.readBody(options.maxBodyBytes);
    if (body === tooLarge)
      return challenge(400, { error: 'invalid_request', error_description: 'The body is too large.' });
    const form = new URLSearchParams(body).getAll('access_token');
    // RFC 6750 section 2: one method per request, one token.
    if (form.length > 1 || (form.length === 1 && header.kind !== 'missing')) {
      return challenge(400, {
        error: 'invalid_request',
        error_description: 'Send one access token, one way.',
      });
    }
    if (form.length === 1) header = readBearer(`Bearer ${form[0]}`);
  }
  if (header.kind === 'missing') return challenge(401);
  if (header.kind === 'malformed') {
    return challenge(400, {
      error: 'invalid_request',
      error_description: 'The Authorization header is malformed.',
    });
  }
  if (header.kind === 'invalid') {
    return challenge(401, { error: 'invalid_token', error_description: 'The access token is invalid.' });
  }
  const result = await server.userinfo(header.token);
  if (result.isErr()) return errorJson(result.error, options.realm);
  const answer = result.value;
  if (answer.kind === 'invalid_token') {
    return challenge(401, {
      error: 'invalid_token',
      error_description: 'The access token is invalid, expired, or revoked.',
    });
  }
  if (answer.kind === 'insufficient_scope') {
    return challenge(403, {
      error: 'insufficient_scope',
      error_description: 'UserInfo needs a token with the openid scope.',
      scope: 'openid',
    });
  }
  return json(200, answer.claims, { ...noStore, ...cors });
}

/**
 * `GET /jwks`: the published signing keys. Cacheable for five minutes: a
 * new key must be published at least that long before it signs (see the
 * key rotation steps of `@kraikub/jose`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export async function jwksEndpoint(server: AuthorizationServer, input: HttpInput): Promise<EndpointResult> {
  if (input.method !== 'GET' && input.method !== 'HEAD') {
    return json(
      405,
      { error: 'invalid_request', error_description: 'Use GET.' },
      { ...noStore, allow: 'GET, HEAD' },
    );
  }
  const keys = await server.jwks();
  if (keys.isErr()) return errorJson(keys.error, server.config.issuer);
  return json(200, keys.value, {
    'content-type': 'application/jwk-set+json',
    'cache-control': 'public, max-age=300',
    ...cors,
  });
}

/** What the host's {@link EndSessionCallback} may answer. */
export type EndSessionAnswer =
  /** The host's own page (a confirmation it asks for, say): sent as it is. */
  | Response
  /** Done: headers to add to the redirect or the signed-out page (a `Set-Cookie` that clears the session). */
  | { readonly headers?: Readonly<Record<string, string>> }
  | undefined;

/** The host's part of a logout: end its session for the user. */
export type EndSessionCallback = (context: {
  /** The checked request: who (`subject`, when `hinted`), which client, where to go next. */
  readonly request: EndSessionRequest;
  /** The incoming request (cookies, a confirmation form). */
  readonly httpRequest: Request;
}) => EndSessionAnswer | Promise<EndSessionAnswer>;

/**
 * `GET|POST /end-session`: RP-initiated logout. The request is checked
 * (`id_token_hint`, `post_logout_redirect_uri`, `state`); the host ends its
 * session; the user agent goes back to the client, or sees a plain
 * signed-out page.
 *
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
 */
export async function endSessionEndpoint(
  server: AuthorizationServer,
  input: HttpInput,
  options: {
    readonly maxBodyBytes: number;
    readonly endSession: EndSessionCallback | undefined;
    readonly page: (status: number, error: string, description: string) => HttpOutput;
    readonly signedOut: () => HttpOutput;
  },
): Promise<EndpointResult> {
  if (input.method !== 'GET' && input.method !== 'POST') {
    return options.page(405, 'invalid_request', 'Use GET or POST.');
  }
  let params = new URLSearchParams(input.query);
  if (input.method === 'POST') {
    const type = (input.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      return options.page(400, 'invalid_request', 'The request body must be form-encoded.');
    }
    const body = await input.readBody(options.maxBodyBytes);
    if (body === tooLarge) return options.page(413, 'invalid_request', 'The request is too large.');
    params = new URLSearchParams(body);
  }
  const checked = await server.endSession(params);
  if (checked.isErr())
    return options.page(statusOf(checked.error), checked.error.error, checked.error.description);
  const request = checked.value;
  const answer =
    options.endSession === undefined
      ? undefined
      : await options.endSession({ request, httpRequest: input.toRequest() });
  if (answer instanceof Response) return answer;
  const headers = answer?.headers ?? {};
  if (request.redirect !== undefined) {
    const to = redirect(303, request.redirect);
    return { ...to, headers: { ...to.headers, ...headers } };
  }
  const done = options.signedOut();
  return { ...done, headers: { ...done.headers, ...headers } };
}

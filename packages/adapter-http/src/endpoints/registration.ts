import type { AuthorizationServer, OAuthError } from '@kraikub/core';
import { bearerChallenge, readBearer } from '../lib/bearer-header.ts';
import { type EndpointResult, type HttpInput, type HttpOutput, json, noStore } from '../lib/http.ts';
import { errorJson } from '../lib/status.ts';
import { readTypedBody } from './form-endpoints.ts';

/**
 * Decides whether a caller may register now: `true`, or how many seconds
 * it must wait. Keyed by the request's source (see `HandlerOptions.sourceOf`).
 */
export type RegistrationRateLimiter = (source: string) => true | { readonly retryAfterSeconds: number };

/**
 * A fixed-window limit in this process's memory: at most `max` registrations
 * per source in `windowSeconds`, remembering at most `maxSources` sources
 * (the oldest window is forgotten first, so a flood of addresses cannot grow
 * memory). Several processes each count their own: give a shared one
 * (Redis) to `HandlerOptions.registrationRateLimit` when that matters.
 *
 * @example
 * ```ts
 * import { fixedWindowRateLimiter } from '@kraikub/adapter-http';
 * const limit = fixedWindowRateLimiter({ max: 10, windowSeconds: 60 });
 * limit('203.0.113.7'); // true, then { retryAfterSeconds } after 10 in a minute
 * ```
 */
export function fixedWindowRateLimiter(
  options: {
    readonly max?: number;
    readonly windowSeconds?: number;
    readonly maxSources?: number;
    readonly now?: () => number;
  } = {},
): RegistrationRateLimiter {
  const max = options.max ?? 20;
  const windowMs = (options.windowSeconds ?? 60) * 1000;
  const maxSources = options.maxSources ?? 10_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  return (source) => {
    const at = now();
    let window = windows.get(source);
    if (window === undefined || at - window.start >= windowMs) {
      windows.delete(source);
      window = { start: at, count: 0 };
      windows.set(source, window);
      while (windows.size > maxSources) {
        const oldest = windows.keys().next().value;
        if (oldest === undefined) break;
        windows.delete(oldest);
      }
    }
    window.count += 1;
    if (window.count <= max) return true;
    return { retryAfterSeconds: Math.max(1, Math.ceil((window.start + windowMs - at) / 1000)) };
  };
}

/** Callable from any origin: browser-based clients register themselves (no cookies are involved). */
const cors = { 'access-control-allow-origin': '*' };

function preflight(methods: string): HttpOutput {
  return {
    status: 204,
    headers: {
      ...cors,
      'access-control-allow-methods': methods,
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
    },
    body: '',
  };
}

function invalidRequest(status: number, description: string, extra: Record<string, string> = {}): HttpOutput {
  return json(
    status,
    { error: 'invalid_request', error_description: description },
    { ...noStore, ...cors, ...extra },
  );
}

/** An error of the registration endpoints: `invalid_token` is a 401 Bearer challenge (RFC 6750 section 3.1). */
function errorOf(error: OAuthError, realm: string): HttpOutput {
  if (error.error === 'invalid_token') {
    return bearerChallenge(
      401,
      { realm, error: 'invalid_token', error_description: error.description },
      cors,
    );
  }
  const output = errorJson(error, realm);
  return { ...output, headers: { ...output.headers, ...cors } };
}

/** Reads a JSON object body; an answer when it cannot. */
async function readJson(input: HttpInput, maxBodyBytes: number): Promise<{ value: unknown } | HttpOutput> {
  const body = await readTypedBody(input, 'application/json', maxBodyBytes);
  if (typeof body !== 'string') return invalidRequest(body.status, body.description);
  try {
    return { value: JSON.parse(body) as unknown };
  } catch {
    return json(
      400,
      { error: 'invalid_client_metadata', error_description: 'The body is not valid JSON.' },
      { ...noStore, ...cors },
    );
  }
}

/** The bearer token of a request, or the challenge to answer. */
function bearerOf(
  input: HttpInput,
  realm: string,
  required: boolean,
): { token: string | undefined } | HttpOutput {
  const header = readBearer(input.header('authorization'));
  switch (header.kind) {
    case 'token':
      return { token: header.token };
    case 'missing':
      return required ? bearerChallenge(401, { realm }, cors) : { token: undefined };
    case 'malformed':
      return bearerChallenge(
        400,
        { realm, error: 'invalid_request', error_description: 'Malformed bearer token.' },
        cors,
      );
    case 'invalid':
      return bearerChallenge(
        401,
        { realm, error: 'invalid_token', error_description: 'The token is not valid.' },
        cors,
      );
  }
}

const isOutput = (value: object): value is HttpOutput => 'status' in value;

/** What the registration endpoints need beside the server. */
export interface RegistrationSettings {
  readonly maxBodyBytes: number;
  readonly realm: string;
  readonly rateLimit: RegistrationRateLimiter | undefined;
  readonly sourceOf: (input: HttpInput) => string | undefined;
}

/**
 * `POST /register`: dynamic client registration. JSON in, 201 with the
 * client information out; the initial access token, when the server needs
 * one, as a bearer token; rate limited per source (429 with `Retry-After`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 */
export async function registrationEndpoint(
  server: AuthorizationServer,
  input: HttpInput,
  settings: RegistrationSettings,
): Promise<EndpointResult> {
  if (input.method === 'OPTIONS') return preflight('POST');
  if (input.method !== 'POST') return invalidRequest(405, 'Use POST.', { allow: 'POST, OPTIONS' });
  const bearer = bearerOf(input, settings.realm, false);
  if (isOutput(bearer)) return bearer;
  if (settings.rateLimit !== undefined) {
    const verdict = settings.rateLimit(settings.sourceOf(input) ?? 'unknown');
    if (verdict !== true) {
      return json(
        429,
        { error: 'temporarily_unavailable', error_description: 'Too many registrations; retry later.' },
        { ...noStore, ...cors, 'retry-after': String(verdict.retryAfterSeconds) },
      );
    }
  }
  const body = await readJson(input, settings.maxBodyBytes);
  if (isOutput(body)) return body;
  const result = await server.registerClient({
    metadata: body.value,
    ...(bearer.token === undefined ? {} : { initialAccessToken: bearer.token }),
  });
  if (result.isErr()) return errorOf(result.error, settings.realm);
  return json(201, result.value, { ...noStore, ...cors });
}

/**
 * `GET|PUT|DELETE /register/{client_id}`: the client configuration
 * endpoint, with the registration access token as a bearer token. An
 * unknown client and a wrong token are the same 401.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-2
 */
export async function clientConfigurationEndpoint(
  server: AuthorizationServer,
  input: HttpInput,
  clientId: string,
  settings: RegistrationSettings,
): Promise<EndpointResult> {
  if (input.method === 'OPTIONS') return preflight('GET, PUT, DELETE');
  if (input.method !== 'GET' && input.method !== 'PUT' && input.method !== 'DELETE') {
    return invalidRequest(405, 'Use GET, PUT or DELETE.', { allow: 'GET, PUT, DELETE, OPTIONS' });
  }
  const bearer = bearerOf(input, settings.realm, true);
  if (isOutput(bearer)) return bearer;
  if (input.method === 'DELETE') {
    const deleted = await server.deleteClient(clientId, bearer.token);
    return deleted.isErr()
      ? errorOf(deleted.error, settings.realm)
      : { status: 204, headers: { ...noStore, ...cors }, body: '' };
  }
  let result: Awaited<ReturnType<AuthorizationServer['readClient']>>;
  if (input.method === 'GET') {
    result = await server.readClient(clientId, bearer.token);
  } else {
    const body = await readJson(input, settings.maxBodyBytes);
    if (isOutput(body)) return body;
    result = await server.updateClient(clientId, bearer.token, body.value);
  }
  if (result.isErr()) return errorOf(result.error, settings.realm);
  return json(200, result.value, { ...noStore, ...cors });
}

/** The client id in a configuration endpoint path (`{base}/{id}`), or `undefined`. */
export function clientIdOfPath(pathname: string, base: string): string | undefined {
  if (!pathname.startsWith(`${base}/`)) return undefined;
  const rest = pathname.slice(base.length + 1);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

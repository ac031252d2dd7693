import type { AccessTokenInfo, AuthorizationServer } from '@kraikub/core';
import { bearerChallenge, readBearer } from './lib/bearer-header.ts';
import { forgetLastInput, toResponse } from './lib/http.ts';
import { statusOf } from './lib/status.ts';

/** The outcome of {@link verifyBearer}: the token's info, or the `Response` to send. */
export type BearerResult =
  | { readonly ok: true; readonly token: AccessTokenInfo }
  | { readonly ok: false; readonly response: Response };

/** Options of {@link verifyBearer}. */
export interface BearerOptions {
  /** Scopes the resource needs: all of them. */
  readonly scopes?: readonly string[];
  /** Realm in `WWW-Authenticate`. Default: the issuer. */
  readonly realm?: string;
}

/** A challenge as a Web `Response`. */
function challenge(status: number, realm: string, fields: Record<string, string>): Response {
  return toResponse(bearerChallenge(status, { realm, ...fields }));
}

/**
 * Checks the `Authorization: Bearer` token of a request to a protected
 * resource. Answers what RFC 6750 asks: 401 without `error` when no token
 * was sent; 401 `invalid_token` for a bad, expired or revoked one; 403
 * `insufficient_scope` when a required scope is missing; 400
 * `invalid_request` for a malformed header.
 *
 * @example
 * ```ts
 * import { verifyBearer } from '@kraikub/adapter-http';
 * import type { AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 * declare function profileOf(subject: string | undefined): Promise<object>; // your data
 *
 * async function profile(request: Request): Promise<Response> {
 *   const auth = await verifyBearer(server, request, { scopes: ['profile'] });
 *   if (!auth.ok) return auth.response;
 *   return Response.json(await profileOf(auth.token.subject));
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export async function verifyBearer(
  server: AuthorizationServer,
  request: Request,
  options: BearerOptions = {},
): Promise<BearerResult> {
  try {
    return await checkBearer(server, request, options);
  } finally {
    // The header held the token: do not let the last regular expression keep it.
    forgetLastInput();
  }
}

async function checkBearer(
  server: AuthorizationServer,
  request: Request,
  options: BearerOptions,
): Promise<BearerResult> {
  const realm = options.realm ?? server.config.issuer;
  const header = readBearer(request.headers.get('authorization'));
  if (header.kind === 'missing') return { ok: false, response: challenge(401, realm, {}) };
  if (header.kind === 'malformed') {
    return {
      ok: false,
      response: challenge(400, realm, {
        error: 'invalid_request',
        error_description: 'The Authorization header is malformed.',
      }),
    };
  }
  if (header.kind === 'invalid') {
    return {
      ok: false,
      response: challenge(401, realm, {
        error: 'invalid_token',
        error_description: 'The access token is invalid.',
      }),
    };
  }
  const token = header.token;
  const result = await server.verifyAccessToken(token);
  if (result.isErr()) {
    const status = statusOf(result.error);
    return {
      ok: false,
      response: new Response(
        JSON.stringify({ error: result.error.error, error_description: result.error.description }),
        {
          status,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        },
      ),
    };
  }
  const info = result.value;
  if (info === undefined) {
    return {
      ok: false,
      response: challenge(401, realm, {
        error: 'invalid_token',
        error_description: 'The access token is invalid, expired, or revoked.',
      }),
    };
  }
  const missing = (options.scopes ?? []).filter((scope) => !info.scopes.includes(scope));
  if (missing.length > 0) {
    return {
      ok: false,
      response: challenge(403, realm, {
        error: 'insufficient_scope',
        error_description: 'The access token lacks a required scope.',
        scope: (options.scopes ?? []).join(' '),
      }),
    };
  }
  return { ok: true, token: info };
}

/**
 * Wraps a Fetch route so it runs only with a valid bearer token holding `scopes`.
 *
 * @example
 * ```ts
 * import { requireScopes } from '@kraikub/adapter-http';
 * import type { AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 * const me = requireScopes(server, ['profile'], (request, token) => Response.json({ sub: token.subject }));
 * ```
 */
export function requireScopes(
  server: AuthorizationServer,
  scopes: readonly string[],
  route: (request: Request, token: AccessTokenInfo) => Response | Promise<Response>,
  options: Omit<BearerOptions, 'scopes'> = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    const auth = await verifyBearer(server, request, { ...options, scopes });
    return auth.ok ? route(request, auth.token) : auth.response;
  };
}

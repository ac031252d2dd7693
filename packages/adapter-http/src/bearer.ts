import type {
  AccessTokenInfo,
  AccessTokenVerifier,
  AuthorizationServer,
  OAuthError,
  VerifyAccessTokenOptions,
} from '@kraikub/core';
import { bearerChallenge, readBearer } from './lib/bearer-header.ts';
import { forgetLastInput, type HttpOutput, json, toResponse } from './lib/http.ts';
import { failureOf, statusOf } from './lib/status.ts';

/** The outcome of {@link verifyBearer}: the token's info, or the `Response` to send. */
export type BearerResult =
  | { readonly ok: true; readonly token: AccessTokenInfo }
  | { readonly ok: false; readonly response: Response };

/**
 * The outcome of {@link verifyBearerHeader}: the token's info, or the refusal
 * as plain data (status, headers with the `WWW-Authenticate` challenge and
 * `Cache-Control: no-store`, body) for any framework to send.
 */
export type BearerHeaderResult =
  | { readonly ok: true; readonly token: AccessTokenInfo }
  | {
      readonly ok: false;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    };

/** Options of {@link verifyBearer} and {@link verifyBearerHeader}. */
export interface BearerOptions {
  /** Scopes the resource needs: all of them. Named in every challenge as a hint (`scope`). */
  readonly scopes?: readonly string[];
  /** Realm in `WWW-Authenticate`. Default: the issuer. */
  readonly realm?: string;
  /**
   * This resource's identifier (RFC 8707): a token not issued for it is
   * `invalid_token`, even when it is otherwise valid.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
   */
  readonly audience?: string;
  /**
   * The URL of this resource's protected resource metadata (see
   * {@link protectedResourceMetadataUrl}): every challenge carries it as
   * `resource_metadata`, so a client that knows nothing yet can discover the
   * authorization server (what MCP clients do).
   *
   * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
   */
  readonly resourceMetadata?: string;
}

/** Who checks the tokens: the authorization server (a store lookup), or a signature verifier. */
export type BearerVerifier = AuthorizationServer | AccessTokenVerifier;

function isServer(verifier: BearerVerifier): verifier is AuthorizationServer {
  return typeof (verifier as AuthorizationServer).verifyAccessToken === 'function';
}

function issuerOf(verifier: BearerVerifier): string {
  return isServer(verifier) ? verifier.config.issuer : verifier.issuer;
}

/** Checks the token with either kind of verifier; an `OAuthError` when the check itself failed. */
async function check(
  verifier: BearerVerifier,
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<{ readonly info: AccessTokenInfo | undefined } | { readonly error: OAuthError }> {
  if (isServer(verifier)) {
    const result = await verifier.verifyAccessToken(token, options);
    return result.isErr() ? { error: result.error } : { info: result.value };
  }
  try {
    return { info: await verifier.verify(token, options) };
  } catch (cause) {
    return { error: failureOf(cause, 'the access token verifier') };
  }
}

/**
 * Checks the `Authorization: Bearer` token of a request to a protected
 * resource. Answers what RFC 6750 asks: 401 without `error` when no token
 * was sent; 401 `invalid_token` for a bad, expired or revoked one, or one
 * for another resource (`audience`); 403 `insufficient_scope` when a
 * required scope is missing; 400 `invalid_request` for a malformed header.
 * Every challenge names the required scopes and, with `resourceMetadata`,
 * where the resource's metadata is (RFC 9728 section 5.1). A verifier that
 * fails (store or keys unreachable) is a 503 (or 500), never a pass.
 *
 * @example
 * ```ts
 * import { protectedResourceMetadataUrl, verifyBearer } from '@kraikub/adapter-http';
 * import type { AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 * declare function profileOf(subject: string | undefined): Promise<object>; // your data
 *
 * const resource = 'https://api.example.com';
 * async function profile(request: Request): Promise<Response> {
 *   const auth = await verifyBearer(server, request, {
 *     scopes: ['profile'],
 *     audience: resource,
 *     resourceMetadata: protectedResourceMetadataUrl(resource),
 *   });
 *   if (!auth.ok) return auth.response;
 *   return Response.json(await profileOf(auth.token.subject));
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5
 */
export async function verifyBearer(
  verifier: BearerVerifier,
  request: Request,
  options: BearerOptions = {},
): Promise<BearerResult> {
  const outcome = await checkHeader(verifier, request.headers.get('authorization'), options);
  return outcome.ok ? outcome : { ok: false, response: toResponse(outcome.output) };
}

/**
 * {@link verifyBearer} for a framework without Web `Request`s (`node:http`,
 * Express, Fastify): checks the value of the `Authorization` header and
 * answers the same as `verifyBearer`, the refusal as plain data. No
 * `Request` or `Response` is built, which on Node saves most of the cost of
 * the check.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { verifyBearerHeader } from '@kraikub/adapter-http';
 * import type { AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 *
 * createServer(async (req, res) => {
 *   const auth = await verifyBearerHeader(server, req.headers.authorization, { scopes: ['profile'] });
 *   if (!auth.ok) {
 *     res.writeHead(auth.status, auth.headers).end(auth.body);
 *     return;
 *   }
 *   res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: auth.token.subject }));
 * }).listen(4000);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export async function verifyBearerHeader(
  verifier: BearerVerifier,
  authorization: string | null | undefined,
  options: BearerOptions = {},
): Promise<BearerHeaderResult> {
  const outcome = await checkHeader(verifier, authorization, options);
  return outcome.ok ? outcome : { ok: false, ...outcome.output };
}

type Checked =
  | { readonly ok: true; readonly token: AccessTokenInfo }
  | { readonly ok: false; readonly output: HttpOutput };

async function checkHeader(
  verifier: BearerVerifier,
  authorization: string | null | undefined,
  options: BearerOptions,
): Promise<Checked> {
  try {
    return await checkBearer(verifier, authorization, options);
  } finally {
    // The header held the token: do not let the last regular expression keep it.
    forgetLastInput();
  }
}

async function checkBearer(
  verifier: BearerVerifier,
  authorization: string | null | undefined,
  options: BearerOptions,
): Promise<Checked> {
  const refuse = (status: number, fields: Record<string, string> = {}): Checked => {
    const scopes = options.scopes ?? [];
    const challenge: Record<string, string> = { realm: options.realm ?? issuerOf(verifier), ...fields };
    if (scopes.length > 0) challenge.scope = scopes.join(' ');
    if (options.resourceMetadata !== undefined) challenge.resource_metadata = options.resourceMetadata;
    return { ok: false, output: bearerChallenge(status, challenge) };
  };
  const header = readBearer(authorization);
  if (header.kind === 'missing') return refuse(401);
  if (header.kind === 'malformed') {
    return refuse(400, {
      error: 'invalid_request',
      error_description: 'The Authorization header is malformed.',
    });
  }
  if (header.kind === 'invalid') {
    return refuse(401, { error: 'invalid_token', error_description: 'The access token is invalid.' });
  }
  const checked = await check(
    verifier,
    header.token,
    options.audience === undefined ? {} : { audience: options.audience },
  );
  if ('error' in checked) {
    // The check itself failed (store or keys unreachable): 503 or 500, never a pass.
    return {
      ok: false,
      output: json(
        statusOf(checked.error),
        { error: checked.error.error, error_description: checked.error.description },
        { 'cache-control': 'no-store' },
      ),
    };
  }
  const info = checked.info;
  if (info === undefined) {
    return refuse(401, {
      error: 'invalid_token',
      error_description:
        options.audience === undefined
          ? 'The access token is invalid, expired, or revoked.'
          : 'The access token is invalid, expired, revoked, or not for this resource.',
    });
  }
  const scopes = options.scopes ?? [];
  for (const scope of scopes) {
    if (!info.scopes.includes(scope)) {
      return refuse(403, {
        error: 'insufficient_scope',
        error_description: 'The access token lacks a required scope.',
      });
    }
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
  server: BearerVerifier,
  scopes: readonly string[],
  route: (request: Request, token: AccessTokenInfo) => Response | Promise<Response>,
  options: Omit<BearerOptions, 'scopes'> = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    const auth = await verifyBearer(server, request, { ...options, scopes });
    return auth.ok ? route(request, auth.token) : auth.response;
  };
}

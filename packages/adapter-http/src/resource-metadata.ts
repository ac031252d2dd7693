import { resourceIdentifierSchema } from '@kraikub/core';

/**
 * What a protected resource says about itself (RFC 9728 section 2). Only
 * `resource` and `authorizationServers` are needed; the document carries
 * exactly what is given.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export interface ProtectedResourceMetadataInput {
  /** Its resource identifier: https, no fragment; the `resource` clients send (RFC 8707). */
  readonly resource: string;
  /** The issuers whose tokens it accepts. */
  readonly authorizationServers: readonly string[];
  /** The scopes it understands (what a client should ask for). */
  readonly scopesSupported?: readonly string[];
  /** A human-readable name. */
  readonly resourceName?: string;
  /** Where its documentation is. */
  readonly resourceDocumentation?: string;
  /** Its JWKS, when it signs responses (rare). */
  readonly jwksUri?: string;
}

/**
 * The RFC 9728 document, member names as the RFC writes them.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.2
 */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly bearer_methods_supported: readonly ['header'];
  readonly scopes_supported?: readonly string[];
  readonly resource_name?: string;
  readonly resource_documentation?: string;
  readonly jwks_uri?: string;
}

function resourceUrl(resource: string): URL {
  const parsed = resourceIdentifierSchema.safeParse(resource);
  if (!parsed.success) throw new TypeError(`protected resource metadata: resource ${parsed.error.message}`);
  const url = new URL(resource);
  if (url.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    throw new TypeError('protected resource metadata: resource must use https (http only on loopback)');
  }
  if (url.search !== '') throw new TypeError('protected resource metadata: resource must have no query');
  return url;
}

/**
 * Where a resource's metadata is published: the well-known segment between
 * the host and the resource's path (`https://mcp.example.com/mcp` →
 * `https://mcp.example.com/.well-known/oauth-protected-resource/mcp`).
 *
 * @example
 * ```ts
 * import { protectedResourceMetadataUrl } from '@kraikub/adapter-http';
 * protectedResourceMetadataUrl('https://mcp.example.com/mcp');
 * // 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = resourceUrl(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

/**
 * Builds a protected resource's metadata document (validated: a bad
 * resource or issuer is a programmer mistake, a `TypeError`).
 *
 * @example
 * ```ts
 * import { protectedResourceMetadata } from '@kraikub/adapter-http';
 * const document = protectedResourceMetadata({
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://id.example.com'],
 *   scopesSupported: ['mcp:tools'],
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function protectedResourceMetadata(input: ProtectedResourceMetadataInput): ProtectedResourceMetadata {
  resourceUrl(input.resource);
  if (input.authorizationServers.length === 0) {
    throw new TypeError('protected resource metadata: name at least one authorization server');
  }
  for (const issuer of input.authorizationServers) resourceUrl(issuer);
  return {
    resource: input.resource,
    authorization_servers: [...input.authorizationServers],
    bearer_methods_supported: ['header'],
    ...(input.scopesSupported === undefined ? {} : { scopes_supported: [...input.scopesSupported] }),
    ...(input.resourceName === undefined ? {} : { resource_name: input.resourceName }),
    ...(input.resourceDocumentation === undefined
      ? {}
      : { resource_documentation: input.resourceDocumentation }),
    ...(input.jwksUri === undefined ? {} : { jwks_uri: input.jwksUri }),
  };
}

/**
 * A Fetch route that answers `GET` (and `HEAD`) at the metadata's
 * well-known path (see {@link protectedResourceMetadataUrl}) with the
 * document: JSON, cacheable for five minutes, readable cross-origin (browser
 * clients discover it); `405` for other methods. Any other path resolves
 * `undefined`: the request is not for it.
 *
 * @example
 * ```ts
 * import { protectedResourceMetadataRoute } from '@kraikub/adapter-http';
 * declare function app(request: Request): Promise<Response>; // the resource server
 *
 * const metadata = protectedResourceMetadataRoute({
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://id.example.com'],
 * });
 * const handler = async (request: Request) => (await metadata(request)) ?? app(request);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
 */
export function protectedResourceMetadataRoute(
  input: ProtectedResourceMetadataInput,
): (request: Request) => Promise<Response | undefined> {
  const body = JSON.stringify(protectedResourceMetadata(input));
  const path = new URL(protectedResourceMetadataUrl(input.resource)).pathname;
  return async (request) => {
    if (new URL(request.url).pathname !== path) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return Response.json(
        { error: 'invalid_request', error_description: 'Use GET.' },
        { status: 405, headers: { allow: 'GET, HEAD', 'cache-control': 'no-store' } },
      );
    }
    return new Response(request.method === 'HEAD' ? null : body, {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
      },
    });
  };
}

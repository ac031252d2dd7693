import {
  type BearerVerifier,
  protectedResourceMetadataRoute,
  protectedResourceMetadataUrl,
  verifyBearer,
} from '@kraikub/adapter-http';
import type { AccessTokenInfo } from '@kraikub/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';

/** The scope this server's tools need. */
export const toolsScope = 'mcp:tools';

export interface McpAppOptions {
  /** This server's resource identifier: the URL of its MCP endpoint, as clients send it in `resource`. */
  readonly resource: string;
  /** The authorization server whose tokens it accepts. */
  readonly issuer: string;
  /** Checks the tokens (introspection, or a JWT verifier, or the provider itself in process). */
  readonly tokens: BearerVerifier;
}

/** The MCP server of one request: its tools see who called (the token's subject, client and scopes). */
function mcpServer(token: AccessTokenInfo): McpServer {
  const server = new McpServer({ name: 'kraikub-example', version: '0.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Who the access token was issued to.', inputSchema: {} },
    async () => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({ subject: token.subject, client: token.clientId, scopes: token.scopes }),
        },
      ],
    }),
  );
  server.registerTool(
    'add',
    { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  return server;
}

/**
 * The MCP server as a Fetch handler: its RFC 9728 metadata at the
 * well-known path, and the Streamable HTTP endpoint at the resource's path,
 * behind a bearer check (the token must be for this resource and carry
 * `mcp:tools`; every refusal names the metadata, which is how an MCP client
 * finds the authorization server). Stateless: each request gets its own
 * server and transport, and only POST is served (no stream to GET, no
 * session to DELETE: 405).
 *
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization
 */
export function createMcpApp(options: McpAppOptions): (request: Request) => Promise<Response> {
  const resourceMetadata = protectedResourceMetadataUrl(options.resource);
  const metadata = protectedResourceMetadataRoute({
    resource: options.resource,
    authorizationServers: [options.issuer],
    scopesSupported: [toolsScope],
    resourceName: 'Kraikub example MCP server',
  });
  const endpoint = new URL(options.resource).pathname;
  return async (request) => {
    const served = await metadata(request);
    if (served !== undefined) return served;
    if (new URL(request.url).pathname !== endpoint) {
      return Response.json({ error: 'not_found' }, { status: 404, headers: { 'cache-control': 'no-store' } });
    }
    // Stateless, so no stream to GET and no session to DELETE: 405, which the transport spec lets
    // a client take as "no SSE stream here". Before the bearer check: a 401 to the SDK's GET,
    // sent beside its next POST, would start a second refresh of the same refresh token, and the
    // provider takes the loser for a replay and revokes the grant.
    if (request.method !== 'POST') {
      return Response.json(
        { error: 'method_not_allowed' },
        { status: 405, headers: { allow: 'POST', 'cache-control': 'no-store' } },
      );
    }
    const auth = await verifyBearer(options.tokens, request, {
      audience: options.resource,
      scopes: [toolsScope],
      resourceMetadata,
    });
    if (!auth.ok) return auth.response;
    // Stateless (no session id generator): JSON answers, nothing kept between requests.
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    const server = mcpServer(auth.token);
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, {
        authInfo: {
          token: '',
          clientId: auth.token.clientId,
          scopes: [...auth.token.scopes],
          expiresAt: Math.floor(auth.token.expiresAt / 1000),
          resource: new URL(options.resource),
        },
      });
    } finally {
      // The JSON answer is complete: nothing is kept between requests.
      void server.close();
    }
  };
}

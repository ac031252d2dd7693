import type { AccessTokenVerifier } from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { createMcpApp } from '../src/app.ts';

const resource = 'https://mcp.example/mcp';
const issuer = 'https://id.example';
/** A verifier that knows no token: every request here is refused before any tool runs. */
const nobody: AccessTokenVerifier = { issuer, verify: async () => undefined };
const app = createMcpApp({ resource, issuer, tokens: nobody });

describe('createMcpApp', () => {
  test('publishes its protected resource metadata (RFC 9728)', async () => {
    const response = await app(new Request('https://mcp.example/.well-known/oauth-protected-resource/mcp'));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource,
      authorization_servers: [issuer],
      scopes_supported: ['mcp:tools'],
    });
  });

  test('a POST without a token: 401 naming the metadata and the scope', async () => {
    const response = await app(new Request(resource, { method: 'POST', body: '{}' }));
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(
      'resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"',
    );
    expect(challenge).toContain('scope="mcp:tools"');
  });

  test.each(['GET', 'DELETE'])(
    '%s: 405 before any token check (stateless: no stream, no session)',
    async (method) => {
      const response = await app(new Request(resource, { method, headers: { accept: 'text/event-stream' } }));
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(response.headers.has('www-authenticate')).toBe(false);
    },
  );
});

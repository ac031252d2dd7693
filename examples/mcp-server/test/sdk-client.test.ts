/**
 * The MCP SDK's own client, unchanged, against the example MCP server and
 * the example provider: the first call's 401 leads it through discovery
 * (RFC 9728, then RFC 8414), an authorization request with PKCE and
 * `resource` (RFC 8707), which a headless user completes on the provider's
 * real login and consent pages, and the token request; then its tools work,
 * a revoked access token is replaced with the refresh token, and a revoked
 * grant ends in a 401 and `UnauthorizedError`.
 *
 * `MCP_FLOW_LOG=1` prints every test's requests (method, path, status).
 */
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { toolsScope } from '../src/app.ts';
import { type FlowStep, formatFlow, labelOf } from './support/flow-log.ts';
import {
  demoUser,
  type FlowHarness,
  newMcpClient,
  type RegistrationMode,
  startFlow,
} from './support/harness.ts';

/** The registration modes under test: each is one entry in the harness's `registrations`. */
const modes: readonly RegistrationMode[] = ['pre-registered', 'dynamic', 'metadata-document'];

/** `labels` occur in `steps` in this order (other steps may come between). */
function expectInOrder(steps: readonly FlowStep[], labels: readonly string[]) {
  const seen = steps.map(labelOf);
  let from = 0;
  for (const label of labels) {
    const at = seen.indexOf(label, from);
    expect(at, `${label} after step ${from} in:\n${formatFlow(steps)}`).toBeGreaterThanOrEqual(0);
    from = at + 1;
  }
}

const textOf = (result: Awaited<ReturnType<ReturnType<typeof newMcpClient>['callTool']>>) =>
  (result.content as { type: string; text: string }[]).map((part) => part.text).join('');

describe.each(modes)('the MCP SDK client (%s)', (mode) => {
  let flow: FlowHarness;
  beforeEach(async (context) => {
    flow = await startFlow(mode);
    context.onTestFinished(async () => {
      if (process.env.MCP_FLOW_LOG === '1') {
        console.log(`\n${context.task.name}\n${formatFlow(flow.steps)}\n`);
      }
    });
  });
  afterEach(() => flow.close());

  test('signs in on its first call: 401, discovery, PKCE and resource, token, then tools', async () => {
    const transport = flow.transport();
    // The first request is refused; the SDK discovers, sends the user to the provider and stops.
    await expect(newMcpClient().connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(flow.oauth.authorizationUrls).toHaveLength(1);
    // The client id the mode gave it (configured, registered, or a metadata document's URL).
    const clientId = flow.oauth.clientInformation()?.client_id;
    expect(clientId).toBeDefined();
    const asked = flow.oauth.authorizationUrls[0] as URL;
    expect(`${asked.origin}${asked.pathname}`).toBe(`${flow.issuer}/authorize`);
    expect(Object.fromEntries(asked.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: clientId,
      code_challenge_method: 'S256',
      redirect_uri: flow.oauth.redirectUrl,
      // The scope of the 401's challenge (the SDK prefers it to the metadata's and to its own).
      scope: toolsScope,
      resource: flow.resource,
    });
    expect(asked.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The browser came back with a code: the SDK redeems it with its verifier.
    await transport.finishAuth(flow.oauth.takeCode());
    expect(flow.oauth.tokens()).toMatchObject({
      token_type: expect.stringMatching(/^bearer$/i),
      scope: toolsScope,
      access_token: expect.stringMatching(/^kba_/),
      refresh_token: expect.stringMatching(/^kbr_/),
      // The SDK stamps what it saves with the authorization server it used.
      issuer: flow.issuer,
    });

    const client = newMcpClient();
    await client.connect(flow.transport());
    await flow.settled();
    expect(textOf(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5');
    expect(JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))).toEqual({
      subject: demoUser.id,
      client: clientId,
      scopes: [toolsScope],
    });
    await client.close();

    const resourcePath = new URL(flow.resource).pathname;
    const [refused] = flow.steps as [FlowStep];
    expect(labelOf(refused), 'the first request').toBe(`sdk POST ${resourcePath} 401`);
    // RFC 6750 section 3.1: no error code for a request without a token; the metadata and scope to get one.
    expect(refused.by !== 'browser' && refused.challenge).toBe(
      `Bearer realm="${flow.issuer}", scope="${toolsScope}", resource_metadata="${new URL(flow.resource).origin}/.well-known/oauth-protected-resource${resourcePath}"`,
    );
    expectInOrder(flow.steps, [
      `sdk POST ${resourcePath} 401`,
      `sdk GET /.well-known/oauth-protected-resource${resourcePath} 200`,
      'sdk GET /.well-known/oauth-authorization-server 200',
      'browser /authorize',
      'browser /login',
      'browser /consent',
      'sdk POST /token 200',
      `sdk POST ${resourcePath} 200`,
      `sdk POST ${resourcePath} 200`,
    ]);
    const tokenRequest = flow.steps.find((step) => step.by === 'sdk' && step.path === '/token');
    expect(tokenRequest?.detail).toBe(`grant_type=authorization_code resource=${flow.resource}`);
    const calls = flow.steps.filter((step) => step.detail?.startsWith('tools/call'));
    expect(calls.map((step) => [step.detail, labelOf(step)])).toEqual([
      ['tools/call add', `sdk POST ${resourcePath} 200`],
      ['tools/call whoami', `sdk POST ${resourcePath} 200`],
    ]);
    // How the client came to have its id, in each mode.
    const registered = flow.steps.filter((step) => step.by === 'sdk' && step.path === '/register');
    if (mode === 'dynamic') {
      expect(registered.map(labelOf)).toEqual(['sdk POST /register 201']);
      expect(clientId).toMatch(/^kbc_/);
      expectInOrder(flow.steps, [
        'sdk GET /.well-known/oauth-authorization-server 200',
        'sdk POST /register 201',
        'browser /authorize',
      ]);
    } else {
      expect(registered).toEqual([]);
    }
    if (mode === 'metadata-document') {
      expect(clientId).toMatch(/^https:\/\/client\.example\.test:\d+\/oauth\/client\.json$/);
      // Fetched once for the authorization request; the token request found it in the cache.
      expect(flow.documentFetches()).toBe(1);
    } else {
      expect(flow.documentFetches()).toBe(0);
    }
  });

  test('refreshes with its refresh token once its access token is revoked', async () => {
    const client = await flow.connect();
    const before = flow.oauth.tokens();
    expect(await flow.revoke(before?.access_token ?? '', 'access_token')).toBe(200);
    const from = flow.steps.length;

    // The call is refused (401), the SDK refreshes and sends it again.
    expect(textOf(await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } }))).toBe('42');
    const after = flow.oauth.tokens();
    expect(after?.access_token).toMatch(/^kba_/);
    expect(after?.access_token).not.toBe(before?.access_token);
    expect(after?.refresh_token, 'the refresh token rotated').not.toBe(before?.refresh_token);
    expect(flow.oauth.authorizationUrls, 'no new authorization').toHaveLength(1);

    const resourcePath = new URL(flow.resource).pathname;
    const refresh = flow.steps.slice(from);
    expect(labelOf(refresh[0] as FlowStep)).toBe(`sdk POST ${resourcePath} 401`);
    expectInOrder(refresh, [
      `sdk POST ${resourcePath} 401`,
      'sdk POST /token 200',
      `sdk POST ${resourcePath} 200`,
    ]);
    expect(refresh.find((step) => step.path === '/token')?.detail).toBe(
      `grant_type=refresh_token resource=${flow.resource}`,
    );
    expect(JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))).toMatchObject({
      subject: demoUser.id,
    });
    await client.close();
  });

  test('once its grant is revoked: 401, a refused refresh, and UnauthorizedError', async () => {
    const client = await flow.connect();
    const tokens = flow.oauth.tokens();
    // Revoking the refresh token ends the whole grant, its access token with it.
    expect(await flow.revoke(tokens?.refresh_token ?? '', 'refresh_token')).toBe(200);
    const from = flow.steps.length;

    // Nobody is at the browser: the SDK's new authorization request goes unanswered.
    flow.userPresent = false;
    await expect(client.callTool({ name: 'add', arguments: { a: 1, b: 1 } })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    expect(flow.oauth.invalidations, 'the refused refresh token is dropped').toEqual(['tokens']);
    expect(flow.oauth.tokens()).toBeUndefined();
    expect(flow.oauth.authorizationUrls, 'the SDK asked for a new authorization').toHaveLength(2);
    const [first, again] = flow.oauth.authorizationUrls as [URL, URL];
    expect(again.searchParams.get('resource')).toBe(flow.resource);
    expect(again.searchParams.get('code_challenge'), 'a new PKCE challenge').not.toBe(
      first.searchParams.get('code_challenge'),
    );

    const resourcePath = new URL(flow.resource).pathname;
    const revoked = flow.steps.slice(from);
    const [refused] = revoked as [FlowStep];
    expect(labelOf(refused)).toBe(`sdk POST ${resourcePath} 401`);
    expect(refused.by !== 'browser' && refused.challenge).toMatch(/^Bearer .*error="invalid_token"/);
    expectInOrder(revoked, [`sdk POST ${resourcePath} 401`, 'sdk POST /token 400', 'browser /authorize']);
    expect(
      revoked.filter((step) => step.by !== 'browser' && step.status === 200 && step.path === resourcePath),
    ).toEqual([]);
    await client.close();
  });
});

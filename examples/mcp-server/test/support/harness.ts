/**
 * The end-to-end harness: the example provider and the example MCP server,
 * in process on ephemeral loopback ports, and the MCP SDK's own client
 * between them with a {@link HeadlessClient} whose user signs in through the
 * provider's real pages. Every request the SDK sends goes through a
 * recording fetch ({@link FlowHarness.steps}).
 */
import { MemoryClientStore } from '@kraikub/adapter-memory';
import { sha256Base64url, webCrypto } from '@kraikub/core';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { createProviderApp, type ProviderAppOptions } from '../../../provider/src/app.ts';
import { demoMcp } from '../../../provider/src/main.ts';
import { demoAccounts, demoUsers } from '../../../provider/src/users.ts';
import { userAgent } from '../../../provider/test/support/interop.ts';
import { createMcpApp, toolsScope } from '../../src/app.ts';
import { introspectionVerifier } from '../../src/introspection.ts';
import { type FlowStep, recordingFetch } from './flow-log.ts';
import { type Browser, HeadlessClient } from './headless-client.ts';
import { listenOnLoopback } from './loopback.ts';
import { serveMetadataDocument } from './metadata-document.ts';

/** The demo user of the provider's demo setup, who signs in and approves. */
export const demoUser = demoAccounts[0];

/**
 * How the MCP client comes to have a client id at the provider. Each mode is
 * one entry in {@link registrations}.
 */
export type RegistrationMode = 'pre-registered' | 'dynamic' | 'metadata-document';

/** What a mode is given once the provider runs: its client store, the client's redirect URI and metadata. */
interface RegistrationSetup {
  readonly state: Map<string, string>;
  readonly issuer: string;
  readonly clients: MemoryClientStore;
  readonly redirectUrl: string;
  readonly clientMetadata: OAuthClientMetadata;
}

/** What the MCP client starts with: a client id, a metadata document's URL, or nothing (it registers). */
interface Registration {
  readonly clientInformation?: OAuthClientInformationMixed;
  readonly clientMetadataUrl?: string;
}

interface RegistrationModeSetup {
  /** What the provider needs for this mode beyond the harness's own options (an endpoint, a fetcher). */
  readonly provider?: (setup: ModeSetup) => Promise<Partial<ProviderAppOptions>>;
  /** Prepares the provider's side, and says what the client starts with. */
  readonly client: (setup: RegistrationSetup) => Registration | Promise<Registration>;
}

/** What a mode may start before the provider, and must stop after the test. */
interface ModeSetup {
  readonly redirectUrl: string;
  readonly clientMetadata: OAuthClientMetadata;
  /** Registers something to stop when the harness closes. */
  onClose(close: () => Promise<void>): void;
  /** Counts fetches of a metadata document, for {@link FlowHarness.documentFetches}. */
  countFetches(count: () => number): void;
  /** Shared with the mode's `client`: the document URL, say. */
  readonly state: Map<string, string>;
}

const preRegisteredClientId = 'mcp-sdk-client';

const clientName = 'Kraikub MCP end-to-end client';

const registrations: Record<RegistrationMode, RegistrationModeSetup> = {
  /** Registered by the provider's operator beforehand; the client is configured with its id. */
  'pre-registered': {
    client: ({ clients, redirectUrl }) => {
      clients.register({
        id: preRegisteredClientId,
        name: clientName,
        redirectUris: [redirectUrl],
        tokenEndpointAuthMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: [toolsScope, 'offline_access'],
      });
      return { clientInformation: { client_id: preRegisteredClientId } };
    },
  },
  /** Dynamic client registration (RFC 7591): the SDK finds `registration_endpoint` and registers itself. */
  dynamic: {
    provider: async () => ({ registration: {} }),
    client: () => ({}),
  },
  /**
   * A Client ID Metadata Document: the client's id is the https URL of its
   * metadata, which the provider fetches over TLS through the SSRF-safe
   * fetcher, and nothing is registered.
   */
  'metadata-document': {
    provider: async ({ clientMetadata, onClose, state, countFetches }) => {
      const documents = await serveMetadataDocument((url) => ({ ...clientMetadata, client_id: url }));
      onClose(() => documents.close());
      state.set('url', documents.url);
      countFetches(() => documents.fetches());
      return { clientIdMetadataDocuments: { fetch: documents.fetch } };
    },
    client: ({ state }) => ({ clientMetadataUrl: state.get('url') as string }),
  },
};

export interface FlowHarness {
  readonly mode: RegistrationMode;
  /** The provider: `http://127.0.0.1:<port>`. */
  readonly issuer: string;
  /** The MCP server's resource identifier, its endpoint: `http://127.0.0.1:<port>/mcp`. */
  readonly resource: string;
  /** Every request so far, in order: the SDK's, the browser's, the test's. */
  readonly steps: FlowStep[];
  /** The SDK's OAuth client provider: what it stored, where it sent the user. */
  readonly oauth: HeadlessClient;
  /** Whether the user is at the browser: when false, the SDK's redirects are logged and nobody signs in. */
  userPresent: boolean;
  /** A new transport to the MCP server, with {@link oauth} and the recording fetch. */
  transport(): StreamableHTTPClientTransport;
  /**
   * A connected MCP client, signing in first when the SDK asks to: the
   * first connect ends in `UnauthorizedError` once the browser is back,
   * `finishAuth` redeems the code, and a new transport connects.
   */
  connect(): Promise<Client>;
  /**
   * Waits for the GET the SDK sends, unawaited, once `notifications/initialized` is accepted
   * (for a stream the server does not offer: 405), so that every later step's place in
   * {@link steps} is fixed.
   */
  settled(): Promise<void>;
  /** How many times the provider fetched a Client ID Metadata Document. */
  documentFetches(): number;
  /** Revokes a token at the provider as the client would (RFC 7009); the status. */
  revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<number>;
  close(): Promise<void>;
}

/** The MCP client as the SDK's `Client` knows it. */
export const newMcpClient = () => new Client({ name: 'kraikub-e2e', version: '0.0.0' });

/** Starts the provider and the MCP server, and readies the SDK's client for `mode`. */
export async function startFlow(mode: RegistrationMode): Promise<FlowHarness> {
  const providerPort = await listenOnLoopback();
  const mcpPort = await listenOnLoopback();
  const issuer = providerPort.origin;
  const resource = `${mcpPort.origin}/mcp`;

  // The client: a native app's loopback redirect (RFC 8252 section 7.3); the browser stops before it.
  const steps: FlowStep[] = [];
  const redirectUrl = 'http://127.0.0.1:8976/callback';
  const clientMetadata: OAuthClientMetadata = {
    client_name: clientName,
    redirect_uris: [redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: `${toolsScope} offline_access`,
  };
  const closers: (() => Promise<void>)[] = [];
  const fetchCounters: (() => number)[] = [];
  const state = new Map<string, string>();
  const modeOptions =
    (await registrations[mode].provider?.({
      redirectUrl,
      clientMetadata,
      state,
      onClose: (close) => closers.push(close),
      countFetches: (count) => fetchCounters.push(count),
    })) ?? {};

  // The provider: the MCP server as a resource server, with the client it introspects as.
  const clients = new MemoryClientStore();
  clients.register({
    id: demoMcp.clientId,
    name: 'Kraikub example MCP server',
    redirectUris: [],
    tokenEndpointAuthMethod: 'client_secret_basic',
    secretHash: await sha256Base64url(webCrypto, demoMcp.clientSecret),
    grantTypes: ['client_credentials'],
    scopes: [],
  });
  const provider = createProviderApp({
    issuer,
    clients,
    users: await demoUsers(),
    resourceServers: [{ resource, clientId: demoMcp.clientId, scopes: [toolsScope] }],
    ...modeOptions,
  });
  providerPort.serve(provider.handler);
  mcpPort.serve(
    createMcpApp({
      resource,
      issuer,
      tokens: introspectionVerifier({
        issuer,
        clientId: demoMcp.clientId,
        clientSecret: demoMcp.clientSecret,
        allowHttp: true,
      }),
    }),
  );

  const registration = await registrations[mode].client({
    state,
    issuer,
    clients,
    redirectUrl,
    clientMetadata,
  });
  const jar = new Map<string, string>();
  const browser: Browser = async (url) => {
    const query = url.searchParams;
    const asked = ['client_id', 'scope', 'resource', 'code_challenge_method', 'prompt']
      .filter((name) => query.has(name))
      .map((name) => `${name}=${query.getAll(name).join(',')}`);
    if (!harness.userPresent) {
      steps.push({
        by: 'browser',
        path: url.pathname,
        detail: `not opened, nobody there: ${asked.join(' ')}`,
      });
      return undefined;
    }
    steps.push({ by: 'browser', path: url.pathname, detail: asked.join(' ') });
    const { callback, pages } = await userAgent(
      issuer,
      url,
      redirectUrl,
      { username: demoUser.username, password: demoUser.password, decision: 'approve' },
      jar,
    );
    for (const page of pages) steps.push({ by: 'browser', path: page, detail: 'page, form posted' });
    const answer = callback.searchParams.has('code') ? 'code' : `error=${callback.searchParams.get('error')}`;
    steps.push({ by: 'browser', path: callback.pathname, detail: `redirect back with ${answer}` });
    return callback;
  };
  const oauth = new HeadlessClient({ redirectUrl, clientMetadata, browser, ...registration });
  const sdkFetch = recordingFetch(steps);
  const testFetch = recordingFetch(steps, 'test');
  const transport = () =>
    new StreamableHTTPClientTransport(new URL(resource), { authProvider: oauth, fetch: sdkFetch });

  const harness: FlowHarness = {
    mode,
    userPresent: true,
    issuer,
    resource,
    steps,
    oauth,
    transport,
    async connect() {
      const first = transport();
      const client = newMcpClient();
      try {
        await client.connect(first);
        return client;
      } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
      }
      await first.finishAuth(oauth.takeCode());
      const signedIn = newMcpClient();
      await signedIn.connect(transport());
      await this.settled();
      return signedIn;
    },
    async settled() {
      const path = new URL(resource).pathname;
      const initialized = steps.findLastIndex((step) => step.detail === 'notifications/initialized');
      const probed = () =>
        steps
          .slice(initialized + 1)
          .some((step) => step.by === 'sdk' && step.method === 'GET' && step.path === path);
      for (let waited = 0; !probed(); waited += 5) {
        if (initialized < 0 || waited > 2_000) throw new Error('the SDK sent no GET for a stream');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    documentFetches: () => fetchCounters.reduce((sum, count) => sum + count(), 0),
    async revoke(token, hint) {
      const body = new URLSearchParams({ token, token_type_hint: hint });
      const clientId = (await oauth.clientInformation())?.client_id;
      if (clientId !== undefined) body.set('client_id', clientId);
      const response = await testFetch(`${issuer}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      await response.body?.cancel();
      return response.status;
    },
    async close() {
      await Promise.all([mcpPort.close(), providerPort.close(), ...closers.map((close) => close())]);
    },
  };
  return harness;
}

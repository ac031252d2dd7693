import { createNodeFetch, nodeCrypto } from '@kraikub/adapter-http/node';
import { sha256Base64url, webCrypto } from '@kraikub/core';
import { createProviderApp, type ProviderAppOptions } from './app.ts';
import { loadSettings, type Settings } from './config.ts';
import { stdout } from './log.ts';
import { serve } from './node-server.ts';
import { openSigner } from './signing.ts';
import { openStorage, StartupError, type Storage } from './storage.ts';
import { demoAccounts, demoUsers } from './users.ts';

export { StartupError } from './storage.ts';

/** The example MCP server's introspection client (examples/mcp-server's defaults). Development only. */
export const demoMcp = { clientId: 'kraikub-mcp', clientSecret: 'kraikub-mcp-secret' } as const;

/** The demo client's registration (the app under examples/client). Development only. */
export const demoClient = { id: 'kraikub-demo', secret: 'kraikub-demo-secret' } as const;

/** The provider app on the configured storage, runtime-neutral (Node, Bun and Deno entry points share it). */
export async function createApp(
  settings: Settings,
  storage: Storage,
  runtime: Pick<ProviderAppOptions, 'remoteAddressOf'> = {},
) {
  if (settings.demo) {
    await storage.clients.register({
      id: demoClient.id,
      name: 'Kraikub Demo App',
      redirectUris: [`http://localhost:${settings.demoClientPort}/callback`],
      postLogoutRedirectUris: [`http://localhost:${settings.demoClientPort}/`],
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await sha256Base64url(webCrypto, demoClient.secret),
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
    });
  }
  const resourceServers = settings.resourceServers.map(
    ({ resource, clientId, scopes, accessTokenFormat }) => ({
      resource,
      ...(clientId === undefined ? {} : { clientId }),
      ...(scopes === undefined ? {} : { scopes }),
      ...(accessTokenFormat === undefined ? {} : { accessTokenFormat }),
    }),
  );
  if (settings.demo) {
    // The example MCP server (examples/mcp-server): its resource, and the client it introspects as.
    resourceServers.push({
      resource: `http://localhost:${settings.demoMcpPort}/mcp`,
      clientId: demoMcp.clientId,
      scopes: ['mcp:tools'],
    });
    await storage.clients.register({
      id: demoMcp.clientId,
      name: 'Kraikub example MCP server',
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await sha256Base64url(webCrypto, demoMcp.clientSecret),
      grantTypes: ['client_credentials'],
      scopes: [],
    });
  }
  const { signer, source } = await openSigner(settings, storage.app);
  const created = await createProviderApp({
    issuer: settings.issuer,
    clients: storage.clients,
    grants: storage.grants,
    interactionStore: storage.interactions,
    appStore: storage.app,
    users: await demoUsers(),
    resourceServers,
    signer,
    ...registrationOf(settings),
    ...(settings.logRequests ? { log: stdout } : {}),
    ...runtime,
  });
  return { ...created, signingKeys: source };
}

const encoder = new TextEncoder();

/**
 * Dynamic registration and Client ID Metadata Documents as configured: both
 * on in demo mode unless turned off, so MCP clients connect unchanged.
 */
function registrationOf(
  settings: Settings,
): Pick<ProviderAppOptions, 'registration' | 'clientIdMetadataDocuments'> {
  const mode = settings.registration ?? (settings.demo ? 'open' : 'off');
  const token = settings.registrationToken;
  const documents = settings.clientIdMetadataDocuments ?? settings.demo;
  return {
    ...(mode === 'off'
      ? {}
      : {
          registration:
            mode === 'token' && token !== undefined
              ? {
                  // Constant time, as the crypto port compares (a length mismatch is simply false).
                  initialAccessToken: (presented: string) =>
                    nodeCrypto.timingSafeEqual(encoder.encode(presented), encoder.encode(token)),
                }
              : {},
        }),
    ...(documents ? { clientIdMetadataDocuments: { fetch: createNodeFetch() } } : {}),
  };
}

function listenFailure(cause: unknown, settings: Settings): string {
  const where = `${settings.host}:${settings.port}`;
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return `Cannot listen on ${where}: the port is in use. Stop the other process or set PORT.`;
  if (code === 'EACCES') return `Cannot listen on ${where}: permission denied. Use a port above 1023 (PORT).`;
  if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL')
    return `Cannot listen on ${where}: no such address (HOST).`;
  return `Cannot listen on ${where}: ${(cause as Error).message}`;
}

/** Starts the provider on Node: the Hono app through `@hono/node-server`, on the configured storage. */
export async function start(settings: Settings) {
  const storage = await openStorage(settings);
  let created: Awaited<ReturnType<typeof createApp>>;
  try {
    created = await createApp(settings, storage);
  } catch (cause) {
    // Refused signing keys, say: let go of the store before the one-line error.
    await storage.close();
    throw cause;
  }
  const { server, app, handler } = created;
  const http = serve(app);
  // A listen error (EADDRINUSE, EACCES) rejects instead of escaping as an uncaught 'error' event.
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(settings.port, settings.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    await storage.close();
    throw new StartupError(listenFailure(cause, settings));
  }
  const close = async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await storage.close();
  };
  return {
    http,
    server,
    app,
    handler,
    clients: storage.clients,
    redis: storage.redis,
    storage,
    signingKeys: created.signingKeys,
    close,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  let started: Awaited<ReturnType<typeof start>>;
  try {
    started = await start(settings);
  } catch (error) {
    // What the user can act on is one line; anything else is a bug, with its stack.
    console.error(error instanceof StartupError ? error.message : error);
    process.exit(1);
  }
  const clients = (await started.clients.listClients?.()) ?? [];
  const lines = [
    '',
    `Kraikub provider on ${settings.issuer} (${started.storage.description})`,
    `  metadata   ${settings.issuer}/.well-known/openid-configuration`,
    `  account    ${settings.issuer}/account`,
    `  users      ${demoAccounts.map((a) => `${a.username} / ${a.password}`).join(', ')}`,
    `  clients    ${clients.map((c) => c.id).join(', ') || '(none)'}`,
    started.signingKeys.startsWith('a development key')
      ? `  keys       ${started.signingKeys}: for development only (production: SIGNING_KEYS or SIGNING_KEYS_FILE)`
      : `  keys       ${started.signingKeys}`,
    settings.demo ? `  demo app   http://localhost:${settings.demoClientPort} (client ${demoClient.id})` : '',
    '',
  ];
  console.error(lines.join('\n'));
  const stop = () => {
    void started.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

import { MemoryClientStore } from '@kraikub/adapter-memory';
import { connectRedis, RedisGrantStore, RedisInteractionStore } from '@kraikub/adapter-redis';
import { hashSecret, webCrypto } from '@kraikub/core';
import { createProviderApp } from './app.ts';
import { readClientsFile } from './clients-file.ts';
import { loadSettings, type Settings } from './config.ts';
import { serve } from './node-server.ts';
import { demoAccounts, demoUsers } from './users.ts';

/** The demo client's registration (the app under examples/client). Development only. */
export const demoClient = { id: 'kraikub-demo', secret: 'kraikub-demo-secret' } as const;

export async function start(settings: Settings) {
  const clients = new MemoryClientStore(await readClientsFile(settings.clientsFile));
  if (settings.demo) {
    clients.register({
      id: demoClient.id,
      name: 'Kraikub Demo App',
      redirectUris: [`http://localhost:${settings.demoClientPort}/callback`],
      tokenEndpointAuthMethod: 'client_secret_basic',
      secretHash: await hashSecret(webCrypto, demoClient.secret),
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['profile', 'email', 'offline_access'],
    });
  }
  // With REDIS_URL, codes, tokens, grants and pending interactions live in Redis, shared by every
  // instance (see packages/adapter-redis/README.md); clients still come from the file.
  const redis = settings.redisUrl === undefined ? undefined : await connectRedis({ url: settings.redisUrl });
  const { handler, server } = createProviderApp({
    issuer: settings.issuer,
    clients,
    users: await demoUsers(),
    ...(redis === undefined
      ? {}
      : {
          grants: new RedisGrantStore({ connection: redis }),
          interactionStore: new RedisInteractionStore({ connection: redis }),
        }),
  });
  const http = serve(handler, { log: settings.logRequests });
  // A listen error (EADDRINUSE, EACCES) rejects instead of escaping as an uncaught 'error' event.
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(settings.port, settings.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return { http, server, clients, redis };
}

/** Where codes and tokens live, for the banner (a password in REDIS_URL is not shown). */
function storageOf(settings: Settings): string {
  if (settings.redisUrl === undefined) return 'in-memory storage';
  const url = new URL(settings.redisUrl);
  if (url.password !== '') url.password = '***';
  return `Redis storage at ${url.href}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const { clients } = await start(settings);
  const lines = [
    '',
    `Kraikub provider on ${settings.issuer} (${storageOf(settings)})`,
    `  metadata   ${settings.issuer}/.well-known/oauth-authorization-server`,
    `  account    ${settings.issuer}/account`,
    `  users      ${demoAccounts.map((a) => `${a.username} / ${a.password}`).join(', ')}`,
    `  clients    ${
      clients
        .list()
        .map((c) => c.id)
        .join(', ') || '(none)'
    }`,
    settings.demo ? `  demo app   http://localhost:${settings.demoClientPort} (client ${demoClient.id})` : '',
    '',
  ];
  console.error(lines.join('\n'));
  const stop = () => process.exit(0);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

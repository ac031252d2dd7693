import { MemoryClientStore } from '@kraikub/adapter-memory';
import { connectRedis, RedisGrantStore, RedisInteractionStore } from '@kraikub/adapter-redis';
import { sha256Base64url, webCrypto } from '@kraikub/core';
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
      secretHash: await sha256Base64url(webCrypto, demoClient.secret),
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['profile', 'email', 'offline_access'],
    });
  }
  // With REDIS_URL, codes, tokens, grants and pending interactions live in Redis, shared by every
  // instance (see packages/adapter-redis/README.md); clients still come from the file.
  const redis =
    settings.redisUrl === undefined
      ? undefined
      : await connectStore(settings.redisUrl, settings.storeWaitSeconds);
  const { handler, server } = createProviderApp({
    issuer: settings.issuer,
    clients,
    users: await demoUsers(),
    resourceServers: settings.resourceServers,
    ...(redis === undefined
      ? {}
      : {
          grants: new RedisGrantStore({ connection: redis }),
          interactionStore: new RedisInteractionStore({ connection: redis }),
        }),
  });
  const http = serve(handler, { log: settings.logRequests });
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
    await redis?.close();
    throw new StartupError(listenFailure(cause, settings));
  }
  return { http, server, clients, redis };
}

/** A start-up failure the user can act on: printed as one line, without a stack trace. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
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

/** Connects to Redis, saying what it waits for; an unreachable Redis is a {@link StartupError}. */
async function connectStore(url: string, waitSeconds: number) {
  console.error(`Waiting for Redis at ${redacted(url)} (up to ${waitSeconds} s)...`);
  try {
    return await connectRedis({ url, startupTimeoutMs: waitSeconds * 1000 });
  } catch (cause) {
    const reason = (cause as Error).message.replace(/^redis: cannot connect: /, '');
    throw new StartupError(
      `Cannot connect to Redis at ${redacted(url)} (${reason}). Start Redis, or unset REDIS_URL to keep everything in memory.`,
    );
  }
}

/** A URL with its password hidden. */
function redacted(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = '***';
  return url.href;
}

/** Where codes and tokens live, for the banner (a password in REDIS_URL is not shown). */
function storageOf(settings: Settings): string {
  return settings.redisUrl === undefined
    ? 'in-memory storage'
    : `Redis storage at ${redacted(settings.redisUrl)}`;
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
  const { clients } = started;
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

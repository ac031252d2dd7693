import { parseArgs } from 'node:util';
import { createPostgresPool, migrate, PostgresClientStore } from '@kraikub/adapter-postgres';
import { RedisClientStore } from '@kraikub/adapter-redis';
import { type ClientRecord, type ClientStore, generateClientSecret, webCrypto } from '@kraikub/core';
import { FileClientStore } from './clients-file.ts';
import { loadSettings, type Settings } from './config.ts';
import { connectStore, redacted, StartupError } from './storage.ts';

export const usage = `Registers the provider's clients.

Usage:
  pnpm clients add --name NAME --redirect-uri URI [--redirect-uri URI ...] [options]
  pnpm clients list
  pnpm clients remove CLIENT_ID
  pnpm clients rotate-secret CLIENT_ID
  pnpm clients --help

Options of add:
  --public                      a public client (no secret; PKCE required)
  --auth METHOD                 client_secret_basic (default) or client_secret_post
  --scope "openid profile"      the scopes it may request
                                (default "openid profile email offline_access")
  --default-scope "profile"     the scopes of a request that names none (default: none)
  --grant-type TYPE             authorization_code, refresh_token, client_credentials; repeat it
                                (default: authorization_code and refresh_token)
  --post-logout-redirect-uri URI
                                where the client may send the user after signing out
                                (OpenID Connect RP-Initiated Logout); repeat it
  --id ID                       the client id (default: a random one)

Clients go to the configured store (DATABASE_URL or REDIS_URL), or else to the clients file
(CLIENTS_FILE, by default ~/.config/kraikub/clients.json), never into the
repository. A secret is printed once; only its SHA-256 is kept.`;

type Out = (line: string) => void;

/** Where clients are kept: the shared store, or the clients file. */
async function openClients(
  settings: Settings,
): Promise<{ store: ClientStore; where: string; close(): Promise<void> }> {
  if (settings.databaseUrl !== undefined) {
    const pool = createPostgresPool(settings.databaseUrl, { max: 1 });
    await migrate(pool);
    return {
      store: new PostgresClientStore({ pool }),
      where: `PostgreSQL at ${redacted(settings.databaseUrl)}`,
      close: () => pool.end(),
    };
  }
  if (settings.redisUrl !== undefined) {
    const connection = await connectStore(settings.redisUrl, settings.storeWaitSeconds, () => undefined);
    return {
      store: new RedisClientStore({ connection }),
      where: `Redis at ${redacted(settings.redisUrl)}`,
      close: () => connection.close(),
    };
  }
  return {
    store: new FileClientStore(settings.clientsFile),
    where: settings.clientsFile,
    close: async () => undefined,
  };
}

function required<T>(method: T | undefined): T {
  if (method === undefined) throw new Error('this store cannot be written to');
  return method;
}

/** Runs the CLI; resolves the exit code (0 done, 1 refused, 2 a usage error). */
export async function main(
  argv: readonly string[],
  io: { readonly out?: Out; readonly err?: Out; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const out = io.out ?? console.log;
  const err = io.err ?? console.error;
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? err : out)(usage);
    return command === undefined ? 2 : 0;
  }
  if (!['add', 'list', 'remove', 'rotate-secret'].includes(command)) {
    err(`Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
    return 2;
  }
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof optionSpec; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: [...rest], options: optionSpec, allowPositionals: true, strict: true });
  } catch (error) {
    err(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    out(usage);
    return 0;
  }
  const settings = loadSettings(io.env ?? process.env);
  const clients = await openClients(settings);
  try {
    const { store } = clients;
    if (command === 'list') {
      for (const c of await required(store.listClients).call(store)) {
        out(
          [
            c.id,
            c.name,
            c.tokenEndpointAuthMethod,
            c.grantTypes.join(','),
            c.scopes.join(' '),
            c.redirectUris.join(' '),
          ].join('\t'),
        );
      }
      return 0;
    }
    if (command === 'remove' || command === 'rotate-secret') {
      const id = positionals[0];
      if (id === undefined || positionals.length > 1) {
        err(`${command} takes one client id.\n\n${usage}`);
        return 2;
      }
      if (command === 'remove') {
        const removed = await required(store.deleteClient).call(store, id);
        if (removed.status === 'not_found') {
          err(`No client ${id} in ${clients.where}.`);
          return 1;
        }
        out(`Removed ${id} from ${clients.where}.`);
        return 0;
      }
      const client = await store.findClient(id);
      if (client === undefined) {
        err(`No client ${id} in ${clients.where}.`);
        return 1;
      }
      if (client.tokenEndpointAuthMethod === 'none') {
        err(`${id} is a public client: it has no secret.`);
        return 1;
      }
      const secret = await generateClientSecret(webCrypto);
      await required(store.updateClient).call(store, { ...client, secretHash: secret.secretHash });
      out(`client_id:     ${id}`);
      out(`client_secret: ${secret.secret}`);
      out('Store the new secret now: it is shown once. The old one no longer works.');
      return 0;
    }
    // add
    if (positionals.length > 0 || values.name === undefined || values['redirect-uri'] === undefined) {
      err(`add needs --name and at least one --redirect-uri.\n\n${usage}`);
      return 2;
    }
    const id = values.id ?? `client-${Buffer.from(webCrypto.randomBytes(9)).toString('base64url')}`;
    const secret = values.public === true ? undefined : await generateClientSecret(webCrypto);
    const scopes = (values.scope ?? 'openid profile email offline_access').split(' ').filter(Boolean);
    const defaultScopes = values['default-scope']?.split(' ').filter(Boolean);
    const record = {
      id,
      name: values.name,
      redirectUris: values['redirect-uri'],
      tokenEndpointAuthMethod: values.public === true ? 'none' : (values.auth ?? 'client_secret_basic'),
      ...(secret === undefined ? {} : { secretHash: secret.secretHash }),
      grantTypes: values['grant-type'] ?? ['authorization_code', 'refresh_token'],
      scopes,
      ...(defaultScopes === undefined ? {} : { defaultScopes }),
      ...(values['post-logout-redirect-uri'] === undefined
        ? {}
        : { postLogoutRedirectUris: values['post-logout-redirect-uri'] }),
    } as ClientRecord;
    let registered: Awaited<ReturnType<NonNullable<ClientStore['registerClient']>>>;
    try {
      registered = await required(store.registerClient).call(store, record);
    } catch (error) {
      err((error as Error).message);
      return 1;
    }
    if (registered.status === 'exists') {
      err(`A client with id ${id} already exists in ${clients.where}.`);
      return 1;
    }
    out(`client_id:     ${id}`);
    if (secret !== undefined) {
      out(`client_secret: ${secret.secret}`);
      out('Store the secret now: it is shown once; only its SHA-256 is kept.');
    }
    out(
      settings.redisUrl === undefined && settings.databaseUrl === undefined
        ? `Saved to ${clients.where}. Restart the provider to load it.`
        : `Saved to ${clients.where}: every provider instance sees it.`,
    );
    return 0;
  } finally {
    await clients.close();
  }
}

const optionSpec = {
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  public: { type: 'boolean' },
  auth: { type: 'string' },
  scope: { type: 'string' },
  'default-scope': { type: 'string' },
  'grant-type': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  id: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error instanceof StartupError ? error.message : error.message);
      process.exit(1);
    },
  );
}

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** A yes/no setting: a JSON boolean in the file, `true`/`false` in the environment. */
const flag = (fallback: boolean) =>
  z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]).default(fallback);

/**
 * The provider's settings: environment variables, over an optional JSON file
 * (`KRAIKUB_CONFIG`), over defaults. A bad value stops the start with a
 * message naming it.
 */
const settingsSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(3000),
    host: z.string().min(1).default('localhost'),
    issuer: z.url().optional(),
    clientsFile: z.string().min(1).optional(),
    redisUrl: z.url().optional(),
    /** PostgreSQL for everything the provider keeps (set this or REDIS_URL, not both). */
    databaseUrl: z.url().optional(),
    /** The ID Token signing keys, a private JWKS as JSON (what a secret manager injects). */
    signingKeys: z.string().min(1).optional(),
    /** A keys file (a private JWKS), used when SIGNING_KEYS is not set; generated when missing. */
    signingKeysFile: z.string().min(1).optional(),
    /** How long the start waits for the store (Redis or PostgreSQL) before it gives up, in seconds. */
    storeWaitSeconds: z.coerce.number().positive().max(300).default(10),
    /**
     * Resource servers (APIs, MCP servers) tokens are issued for (RFC 8707), as JSON in
     * `RESOURCE_SERVERS`: `[{ resource, clientId?, scopes?, accessTokenFormat? }]`. `clientId`
     * is the client it introspects as; `scopes` those it accepts; `accessTokenFormat` `opaque`
     * (default) or `jwt` (RFC 9068).
     */
    resourceServers: z
      .preprocess(
        (value) => (typeof value === 'string' ? parseJson(value) : value),
        z.array(
          z
            .object({
              resource: z.url(),
              clientId: z.string().min(1).optional(),
              scopes: z.array(z.string().min(1)).optional(),
              accessTokenFormat: z.enum(['opaque', 'jwt']).optional(),
            })
            .strict(),
        ),
      )
      .default([]),
    /** The port of the example MCP server (examples/mcp-server), registered as a resource in demo mode. */
    demoMcpPort: z.coerce.number().int().min(1).max(65535).default(4100),
    demoClientPort: z.coerce.number().int().min(1).max(65535).default(4000),
    /**
     * `REGISTRATION`: dynamic client registration (RFC 7591, 7592) at `/register`: `open` (anyone,
     * rate limited), `token` (with `REGISTRATION_TOKEN` as the initial access token) or `off`.
     * Default: `open` in demo mode, `off` otherwise.
     */
    registration: z.enum(['open', 'token', 'off']).optional(),
    /** `REGISTRATION_TOKEN`: the initial access token registrations need under `REGISTRATION=token`. */
    registrationToken: z.string().min(16).optional(),
    /**
     * `CLIENT_ID_METADATA_DOCUMENTS`: accept https URL client ids, fetched (public addresses only,
     * no redirects, 5 KiB, 5 s) and cached. Default: on in demo mode, off otherwise.
     */
    clientIdMetadataDocuments: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
      .optional(),
    demo: flag(true),
    logRequests: flag(true),
  })
  .strict();

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export type Settings = z.output<typeof settingsSchema> & {
  readonly issuer: string;
  readonly clientsFile: string;
};

/**
 * Where registered clients live by default: outside the repository, in the
 * user's configuration directory, so `clients add` never touches a tracked file.
 */
export function defaultClientsFile(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'clients.json');
}

/** The user's configuration directory for the provider: `$XDG_CONFIG_HOME/kraikub` or `~/.config/kraikub`. */
function configDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'kraikub');
}

const envNames: Record<string, keyof z.input<typeof settingsSchema>> = {
  PORT: 'port',
  HOST: 'host',
  ISSUER: 'issuer',
  CLIENTS_FILE: 'clientsFile',
  REDIS_URL: 'redisUrl',
  DATABASE_URL: 'databaseUrl',
  SIGNING_KEYS: 'signingKeys',
  SIGNING_KEYS_FILE: 'signingKeysFile',
  STORE_WAIT_SECONDS: 'storeWaitSeconds',
  RESOURCE_SERVERS: 'resourceServers',
  DEMO_CLIENT_PORT: 'demoClientPort',
  DEMO_MCP_PORT: 'demoMcpPort',
  DEMO: 'demo',
  REGISTRATION: 'registration',
  REGISTRATION_TOKEN: 'registrationToken',
  CLIENT_ID_METADATA_DOCUMENTS: 'clientIdMetadataDocuments',
  LOG_REQUESTS: 'logRequests',
};

/** Reads and validates the settings; throws an Error whose message names each bad setting. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  let fromFile: Record<string, unknown> = {};
  const file = env.KRAIKUB_CONFIG;
  if (file !== undefined && file !== '') {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new Error(`KRAIKUB_CONFIG ${file}: cannot read it as JSON (${(cause as Error).message})`);
    }
  }
  const fromEnv: Record<string, string> = {};
  for (const [name, key] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const result = settingsSchema.safeParse({ ...fromFile, ...fromEnv });
  if (result.success && result.data.redisUrl !== undefined && result.data.databaseUrl !== undefined) {
    throw new Error('Invalid provider configuration:\n  set REDIS_URL or DATABASE_URL, not both');
  }
  if (result.success && result.data.registration === 'token' && result.data.registrationToken === undefined) {
    throw new Error(
      'Invalid provider configuration:\n  REGISTRATION=token needs REGISTRATION_TOKEN (16 characters or more)',
    );
  }
  if (!result.success) {
    const byKey = Object.fromEntries(Object.entries(envNames).map(([name, key]) => [key, name]));
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const source = key in fromEnv ? `environment variable ${byKey[key]}` : `setting "${key}"`;
      return `${source}: ${issue.message}`;
    });
    throw new Error(`Invalid provider configuration:\n  ${lines.join('\n  ')}`);
  }
  const settings = result.data;
  return {
    ...settings,
    issuer: settings.issuer ?? `http://${settings.host}:${settings.port}`,
    clientsFile: settings.clientsFile ?? defaultClientsFile(env),
  };
}

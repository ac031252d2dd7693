import { readFileSync } from 'node:fs';
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
    clientsFile: z
      .string()
      .min(1)
      .default(new URL('../data/clients.json', import.meta.url).pathname),
    redisUrl: z.url().optional(),
    demoClientPort: z.coerce.number().int().min(1).max(65535).default(4000),
    demo: flag(true),
    logRequests: flag(true),
  })
  .strict();

export type Settings = z.output<typeof settingsSchema> & { readonly issuer: string };

const envNames: Record<string, keyof z.input<typeof settingsSchema>> = {
  PORT: 'port',
  HOST: 'host',
  ISSUER: 'issuer',
  CLIENTS_FILE: 'clientsFile',
  REDIS_URL: 'redisUrl',
  DEMO_CLIENT_PORT: 'demoClientPort',
  DEMO: 'demo',
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
  return { ...settings, issuer: settings.issuer ?? `http://${settings.host}:${settings.port}` };
}

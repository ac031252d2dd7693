import { createNodeServer } from '@kraikub/adapter-http/node';
import { z } from 'zod';
import { createMcpApp } from './app.ts';
import { introspectionVerifier } from './introspection.ts';

/** The example's settings, from the environment. Defaults match the provider's demo mode. */
export const settingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  HOST: z.string().min(1).default('localhost'),
  /** The authorization server (the example provider). */
  ISSUER: z.url().default('http://localhost:3000'),
  /** This server's resource identifier; by default its MCP endpoint on HOST:PORT. */
  RESOURCE: z.url().optional(),
  /** The client it introspects as (registered in the provider as this resource's `clientId`). */
  INTROSPECTION_CLIENT_ID: z.string().min(1).default('kraikub-mcp'),
  INTROSPECTION_CLIENT_SECRET: z.string().min(1).default('kraikub-mcp-secret'),
});

export async function start(env: NodeJS.ProcessEnv = process.env) {
  const settings = settingsSchema.parse(env);
  const resource = settings.RESOURCE ?? `http://${settings.HOST}:${settings.PORT}/mcp`;
  const app = createMcpApp({
    resource,
    issuer: settings.ISSUER,
    tokens: introspectionVerifier({
      issuer: settings.ISSUER,
      clientId: settings.INTROSPECTION_CLIENT_ID,
      clientSecret: settings.INTROSPECTION_CLIENT_SECRET,
      allowHttp: new URL(settings.ISSUER).protocol === 'http:',
    }),
  });
  const http = createNodeServer(app);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(settings.PORT, settings.HOST, () => resolve());
  });
  return { http, resource };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  start().then(
    ({ resource }) => console.error(`\nKraikub example MCP server at ${resource}\n`),
    (error: Error) => {
      console.error(`Cannot start the MCP server: ${error.message}`);
      process.exit(1);
    },
  );
}

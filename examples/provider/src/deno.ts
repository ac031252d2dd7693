/**
 * The same provider app on Deno: `deno run -A src/deno.ts` (settings from
 * the environment, as on Node; the @kraikub packages load from their builds).
 */
import { getConnInfo } from 'hono/deno';
import { loadSettings } from './config.ts';
import { createApp } from './main.ts';
import { openStorage } from './storage.ts';

declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: never) => Response | Promise<Response>,
  ): unknown;
};

const settings = loadSettings();
const storage = await openStorage(settings);
const { app } = await createApp(settings, storage, { remoteAddressOf: (c) => getConnInfo(c).remote.address });
Deno.serve({ port: settings.port, hostname: settings.host, onListen: () => undefined }, app.fetch);
console.error(`Kraikub provider on Deno at ${settings.issuer} (${storage.description})`);

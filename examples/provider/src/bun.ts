/**
 * The same provider app on Bun: `bun src/bun.ts` (settings from the
 * environment, as on Node). Bun runs the TypeScript sources as they are.
 */
import { getConnInfo } from 'hono/bun';
import { loadSettings } from './config.ts';
import { createApp } from './main.ts';
import { openStorage } from './storage.ts';

declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: never) => Response | Promise<Response>;
  }): unknown;
};

const settings = loadSettings();
const storage = await openStorage(settings);
const { app } = await createApp(settings, storage, { remoteAddressOf: (c) => getConnInfo(c).remote.address });
Bun.serve({ port: settings.port, hostname: settings.host, fetch: app.fetch });
console.error(`Kraikub provider on Bun at ${settings.issuer} (${storage.description})`);

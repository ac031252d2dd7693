import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { createClientApp } from './app.ts';

const env = z
  .object({
    CLIENT_PORT: z.coerce.number().int().min(1).max(65535).default(4000),
    ISSUER: z.url().default('http://localhost:3000'),
    DEMO_CLIENT_ID: z.string().min(1).default('kraikub-demo'),
    DEMO_CLIENT_SECRET: z.string().min(1).default('kraikub-demo-secret'),
  })
  .safeParse(process.env);
if (!env.success) {
  console.error(
    `Invalid demo client configuration: ${env.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`,
  );
  process.exit(1);
}
const { CLIENT_PORT, ISSUER, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } = env.data;
const baseUrl = `http://localhost:${CLIENT_PORT}`;
const app = createClientApp({
  issuer: ISSUER,
  clientId: DEMO_CLIENT_ID,
  clientSecret: DEMO_CLIENT_SECRET,
  baseUrl,
});

createServer(async (req, res) => {
  const body =
    req.method === 'GET' || req.method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream);
  const request = new Request(new URL(req.url ?? '/', baseUrl), {
    method: req.method ?? 'GET',
    headers: req.headers as Record<string, string>,
    ...(body === undefined ? {} : { body, duplex: 'half' }),
  } as RequestInit);
  const response = await app(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}).listen(CLIENT_PORT, 'localhost', () => {
  console.error(`Kraikub demo app on ${baseUrl} (provider ${ISSUER})`);
});

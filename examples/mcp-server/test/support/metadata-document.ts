/**
 * A Client ID Metadata Document served over real TLS on loopback, and the
 * provider's fetcher for it: `createNodeFetch` of `@kraikub/adapter-http/node`
 * (the SSRF-safe one the provider runs with), told for this test only that
 * `client.example.test` is 127.0.0.1, that loopback is allowed, and which CA
 * signed the test certificate (made by openssl for this run).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFetch } from '@kraikub/adapter-http/node';
import type { FetchPort } from '@kraikub/core';

/** The host the document's URL names; only this test's fake DNS resolves it. */
export const documentHost = 'client.example.test';

export interface DocumentServer {
  /** The client id: the document's https URL. */
  readonly url: string;
  /** The provider's FetchPort for it. */
  readonly fetch: FetchPort;
  /** How many times the provider fetched the document. */
  fetches(): number;
  close(): Promise<void>;
}

/** Serves `document(url)` at `https://client.example.test:<port>/oauth/client.json`. */
export async function serveMetadataDocument(
  document: (url: string) => Record<string, unknown>,
): Promise<DocumentServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kraikub-cimd-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        `/CN=${documentHost}`,
        '-addext',
        `subjectAltName=DNS:${documentHost}`,
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    let count = 0;
    let url = '';
    const server = createServer({ cert, key }, (request, response) => {
      if (request.url !== '/oauth/client.json') {
        response.writeHead(404).end();
        return;
      }
      count += 1;
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      response.end(JSON.stringify(document(url)));
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    url = `https://${documentHost}:${port}/oauth/client.json`;
    return {
      url,
      fetch: createNodeFetch({
        lookup: async (hostname) => (hostname === documentHost ? [{ address: '127.0.0.1', family: 4 }] : []),
        isAllowedAddress: (address) => address === '127.0.0.1',
        ca: cert,
      }),
      fetches: () => count,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

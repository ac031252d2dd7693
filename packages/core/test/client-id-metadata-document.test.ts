import {
  cacheSeconds,
  type FetchedDocument,
  type FetchLimits,
  type FetchPort,
  metadataDocumentUrl,
} from '@kraikub/core';
import { describe, expect, test } from 'vitest';
import { harness, ISSUER, pkcePair, unwrap, unwrapErr } from './support.ts';

const URL_ID = 'https://app.example.com/oauth/client.json';
const REDIRECT = 'http://127.0.0.1:33418/callback';

const documentOf = (extra: Record<string, unknown> = {}) => ({
  client_id: URL_ID,
  client_name: 'Example MCP client',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'none',
  ...extra,
});

/** A FetchPort serving canned answers, counting what it was asked. */
class FakeFetch implements FetchPort {
  readonly calls: { url: string; limits: FetchLimits }[] = [];
  constructor(public answer: (url: string) => FetchedDocument | Promise<FetchedDocument>) {}
  async fetch(url: string, limits: FetchLimits): Promise<FetchedDocument> {
    this.calls.push({ url, limits });
    return this.answer(url);
  }
}

const json = (body: unknown, cacheControl?: string): FetchedDocument => ({
  status: 200,
  contentType: 'application/json; charset=utf-8',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  ...(cacheControl === undefined ? {} : { cacheControl }),
});

async function documentHarness(fetch: FakeFetch, options: Record<string, unknown> = {}) {
  return harness({ clientIdMetadataDocuments: { fetch, ...options } });
}

async function authorizeAs(h: Awaited<ReturnType<typeof harness>>, clientId = URL_ID) {
  const { challenge } = await pkcePair();
  return h.server.authorize({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'profile',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
}

describe('Client ID Metadata Documents', () => {
  test('an https URL client id is fetched, checked and used; the metadata says it is supported', async () => {
    const fetch = new FakeFetch(() => json(documentOf()));
    const h = await documentHarness(fetch);
    expect(h.server.metadata().client_id_metadata_document_supported).toBe(true);
    const request = unwrap(await authorizeAs(h));
    expect(request.client).toMatchObject({ id: URL_ID, name: 'Example MCP client' });
    expect(request.scopes).toEqual(['profile']);
    expect(fetch.calls).toEqual([{ url: URL_ID, limits: { maxBytes: 5120, timeoutMs: 5000 } }]);
  });

  test('the full code flow: the token request resolves the same client from the cache', async () => {
    const fetch = new FakeFetch(() => json(documentOf({ scope: 'profile email' })));
    const h = await documentHarness(fetch);
    const { verifier, challenge } = await pkcePair();
    const request = unwrap(
      await h.server.authorize({
        response_type: 'code',
        client_id: URL_ID,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    // No scope: the document's scope is the default (RFC 6749 section 3.3).
    expect(request.scopes).toEqual(['profile', 'email']);
    const code = new URL(unwrap(await h.server.approve(request, { subject: 'u1' })).url).searchParams.get(
      'code',
    );
    const tokens = unwrap(
      await h.server.token({
        params: {
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: REDIRECT,
          client_id: URL_ID,
          code_verifier: verifier,
        },
      }),
    );
    expect(tokens.access_token).toMatch(/^kba_/);
    expect(fetch.calls).toHaveLength(1);
  });

  test.each([
    ['client_id is another URL', documentOf({ client_id: 'https://evil.example/client.json' })],
    ['a client secret', documentOf({ client_secret: 'shh' })],
    ['a secret-based method', documentOf({ token_endpoint_auth_method: 'client_secret_basic' })],
    ['no redirect URIs', documentOf({ redirect_uris: [] })],
    ['a bad redirect URI', documentOf({ redirect_uris: ['http://evil.example/cb'] })],
    ['not an object', [documentOf()]],
    ['not JSON', '{"client_id":'],
  ])('a document with %s is no client', async (_name, body) => {
    const h = await documentHarness(new FakeFetch(() => json(body)));
    const refused = unwrapErr(await authorizeAs(h));
    expect(refused.error).toBe('invalid_client');
    expect(refused.redirect).toBeUndefined();
  });

  test.each([
    ['a 404', { status: 404, contentType: 'application/json', body: '{}' }],
    ['a redirect', { status: 302, contentType: 'application/json', body: JSON.stringify(documentOf()) }],
    ['HTML', { status: 200, contentType: 'text/html', body: JSON.stringify(documentOf()) }],
  ])('%s is no client', async (_name, answer) => {
    const h = await documentHarness(new FakeFetch(() => answer));
    expect(unwrapErr(await authorizeAs(h)).error).toBe('invalid_client');
  });

  test('a fetch that fails (refused, timed out) is no client, and is not retried at once', async () => {
    const fetch = new FakeFetch(() => Promise.reject(new Error('fetch refused: private address')));
    const h = await documentHarness(fetch);
    expect(unwrapErr(await authorizeAs(h)).error).toBe('invalid_client');
    expect(unwrapErr(await authorizeAs(h)).error).toBe('invalid_client');
    expect(fetch.calls).toHaveLength(1);
    h.clock.advance(31_000);
    fetch.answer = () => json(documentOf());
    unwrap(await authorizeAs(h));
    expect(fetch.calls).toHaveLength(2);
  });

  test('the cache honours max-age (capped), no-store, and the default lifetime', async () => {
    for (const [cacheControl, fresh, stale] of [
      ['max-age=60', 59_000, 61_000],
      [undefined, 299_000, 301_000],
      ['public, max-age=999999999', 86_399_000, 86_401_000],
    ] as const) {
      const fetch = new FakeFetch(() => json(documentOf(), cacheControl));
      const h = await documentHarness(fetch);
      const start = h.clock.now();
      unwrap(await authorizeAs(h));
      h.clock.time = start + fresh;
      unwrap(await authorizeAs(h));
      expect(fetch.calls).toHaveLength(1);
      h.clock.time = start + stale;
      unwrap(await authorizeAs(h));
      expect(fetch.calls).toHaveLength(2);
    }
    const fetch = new FakeFetch(() => json(documentOf(), 'no-store'));
    const h = await documentHarness(fetch);
    unwrap(await authorizeAs(h));
    unwrap(await authorizeAs(h));
    expect(fetch.calls).toHaveLength(2);
  });

  test('concurrent requests for one URL share one fetch', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fetch = new FakeFetch(async () => {
      await gate;
      return json(documentOf());
    });
    const h = await documentHarness(fetch);
    const pending = Array.from({ length: 20 }, () => authorizeAs(h));
    release();
    for (const result of await Promise.all(pending)) unwrap(result);
    expect(fetch.calls).toHaveLength(1);
  });

  test('the cache is bounded: the least recently used document goes first', async () => {
    const fetch = new FakeFetch((url) => json(documentOf({ client_id: url })));
    const h = await documentHarness(fetch, { cacheMaxEntries: 2 });
    const ids = ['a', 'b', 'c'].map((name) => `https://app.example.com/${name}.json`);
    for (const id of ids) unwrap(await authorizeAs(h, id));
    expect(fetch.calls).toHaveLength(3);
    unwrap(await authorizeAs(h, ids[2]));
    unwrap(await authorizeAs(h, ids[1]));
    expect(fetch.calls).toHaveLength(3);
    unwrap(await authorizeAs(h, ids[0]));
    expect(fetch.calls).toHaveLength(4);
  });

  test('the host may limit which URLs are client ids', async () => {
    const fetch = new FakeFetch(() => json(documentOf()));
    const h = await documentHarness(fetch, { allowUrl: (url: URL) => url.hostname === 'trusted.example' });
    expect(unwrapErr(await authorizeAs(h)).error).toBe('invalid_client');
    expect(fetch.calls).toHaveLength(0);
  });

  test('ids that are not document URLs go to the client store, never to the network', async () => {
    const fetch = new FakeFetch(() => json(documentOf()));
    const h = await documentHarness(fetch);
    for (const id of [
      'http://app.example.com/client.json',
      'https://app.example.com',
      'https://app.example.com/',
      'https://user:pw@app.example.com/client.json',
      'https://app.example.com/a/../client.json',
      'https://app.example.com/client.json#x',
      'https://APP.example.com/client.json',
    ]) {
      expect(metadataDocumentUrl(id)).toBeUndefined();
      expect(unwrapErr(await authorizeAs(h, id)).error).toBe('invalid_client');
    }
    expect(fetch.calls).toHaveLength(0);
    expect(metadataDocumentUrl(URL_ID)?.href).toBe(URL_ID);
    // Registered clients still resolve from the store.
    const { challenge } = await pkcePair();
    const request = await h.server.authorize({
      response_type: 'code',
      client_id: 'public-client',
      redirect_uri: 'com.example.app:/cb',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(unwrap(request).client.id).toBe('public-client');
  });

  test('without the option an https client id is looked up in the store only', async () => {
    const h = await harness();
    expect(h.server.metadata()).not.toHaveProperty('client_id_metadata_document_supported');
    expect(unwrapErr(await authorizeAs(h)).error).toBe('invalid_client');
    expect(ISSUER).toMatch(/^https:/);
  });

  test('cacheSeconds reads Cache-Control', () => {
    expect(cacheSeconds(undefined)).toBeUndefined();
    expect(cacheSeconds('public')).toBeUndefined();
    expect(cacheSeconds('max-age=120')).toBe(120);
    expect(cacheSeconds('Public, Max-Age=30')).toBe(30);
    expect(cacheSeconds('max-age=60, no-store')).toBe(0);
    expect(cacheSeconds('no-cache')).toBe(0);
    expect(cacheSeconds('max-age=-1')).toBeUndefined();
  });
});

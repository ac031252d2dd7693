/**
 * Client ID Metadata Documents: a `client_id` that is an https URL names a
 * JSON document, published by the client, that says who it is. The provider
 * fetches it through the host's {@link FetchPort}, checks it, and treats the
 * client as registered for as long as the document's cache lifetime allows.
 *
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 * @module
 */
import type { ClientRecord, ClientStore, Clock, FetchedDocument, FetchPort } from '../ports.ts';
import { clientFieldsFromMetadata } from '../rules/client-metadata.ts';
import { detached } from './strings.ts';

/**
 * Client ID Metadata Documents, as {@link AuthorizationServerOptions.clientIdMetadataDocuments} turns them on.
 *
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 */
export interface ClientIdMetadataDocumentOptions {
  /** How documents are fetched: the host's SSRF-safe fetch (`createNodeFetch` of `@kraikub/adapter-http/node`). */
  readonly fetch: FetchPort;
  /** The host's say on which URLs may be client ids (an allow-list of hosts, say). Default: any https URL the rules allow. */
  readonly allowUrl?: (url: URL) => boolean;
  /** The largest document read, in bytes. Default 5120 (the draft's suggestion). */
  readonly maxBytes?: number;
  /** How long a fetch may take, in ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Documents kept at most. Default 1000; the least recently used go first. */
  readonly cacheMaxEntries?: number;
  /** Cache lifetime when the document says none (no `Cache-Control: max-age`), in seconds. Default 300. */
  readonly defaultCacheSeconds?: number;
  /** Longest cache lifetime, whatever the document says, in seconds. Default 86400. */
  readonly maxCacheSeconds?: number;
  /** How long a URL that failed (unreachable, invalid) is not fetched again, in seconds. Default 30. */
  readonly failureCacheSeconds?: number;
}

/** What a URL client id resolves to, and until when. */
interface Entry {
  readonly client: ClientRecord | undefined;
  readonly until: number;
}

/**
 * Whether `clientId` is to be read as a Client ID Metadata Document URL:
 * https, a path, no fragment, no userinfo, no dot segments, at most 255
 * characters (the longest client id).
 *
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-oauth-client-id-metadata-document#section-3
 */
export function metadataDocumentUrl(clientId: string): URL | undefined {
  if (!clientId.startsWith('https://') || clientId.length > 255) return undefined;
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return undefined;
  }
  if (url.href !== clientId) return undefined; // not in canonical form: never the same id twice
  if (url.username !== '' || url.password !== '' || clientId.includes('#')) return undefined;
  if (url.pathname === '/' || /\/\.\.?(\/|$)/.test(clientId.slice(url.origin.length))) return undefined;
  return url;
}

/** `max-age` of a Cache-Control header in seconds, 0 for `no-store`/`no-cache`, `undefined` when it says neither. */
export function cacheSeconds(cacheControl: string | undefined): number | undefined {
  if (cacheControl === undefined) return undefined;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((part) => part.trim());
  if (directives.some((directive) => directive === 'no-store' || directive === 'no-cache')) return 0;
  for (const directive of directives) {
    const match = /^max-age=(\d{1,10})$/.exec(directive);
    if (match !== null) return Number(match[1]);
  }
  return undefined;
}

/**
 * Checks a fetched document for `url`: 200, JSON, an object whose
 * `client_id` is exactly the URL, no secret, and client metadata the rules
 * accept (`token_endpoint_auth_method` `none`, redirect URIs...). The client
 * record, or `undefined`.
 */
export function clientOfDocument(
  url: string,
  document: FetchedDocument,
  scopes: readonly string[],
): ClientRecord | undefined {
  if (document.status !== 200) return undefined;
  const type = (document.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(document.body);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const metadata = body as Record<string, unknown>;
  if (metadata.client_id !== url) return undefined;
  if (metadata.client_secret !== undefined || metadata.client_secret_expires_at !== undefined)
    return undefined;
  const fields = clientFieldsFromMetadata(metadata, { scopes }, 'document');
  if (fields.isErr()) return undefined;
  const name = typeof metadata.client_name === 'string' ? fields.value.name : new URL(url).host;
  return { ...fields.value, name: detached(name), id: detached(url) };
}

/**
 * A {@link ClientStore} in front of the host's: an https URL client id is
 * resolved from its metadata document (cached, one fetch at a time per URL);
 * every other id, and every write, goes to `store`.
 */
export function withMetadataDocuments(
  store: ClientStore,
  options: ClientIdMetadataDocumentOptions,
  clock: Clock,
  scopes: () => readonly string[],
): ClientStore {
  const maxBytes = options.maxBytes ?? 5120;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxEntries = options.cacheMaxEntries ?? 1000;
  const defaultSeconds = options.defaultCacheSeconds ?? 300;
  const maxSeconds = options.maxCacheSeconds ?? 86_400;
  const failureSeconds = options.failureCacheSeconds ?? 30;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<ClientRecord | undefined>>();

  const remember = (url: string, entry: Entry) => {
    cache.delete(url);
    if (entry.until <= clock.now()) return;
    cache.set(url, entry);
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  };

  const resolve = async (url: string): Promise<ClientRecord | undefined> => {
    let document: FetchedDocument;
    try {
      document = await options.fetch.fetch(url, { maxBytes, timeoutMs });
    } catch {
      remember(url, { client: undefined, until: clock.now() + failureSeconds * 1000 });
      return undefined;
    }
    const client = clientOfDocument(url, document, scopes());
    const seconds =
      client === undefined
        ? failureSeconds
        : Math.min(cacheSeconds(document.cacheControl) ?? defaultSeconds, maxSeconds);
    remember(url, { client, until: clock.now() + seconds * 1000 });
    return client;
  };

  const findByUrl = (clientId: string, url: URL): Promise<ClientRecord | undefined> => {
    const cached = cache.get(clientId);
    if (cached !== undefined && cached.until > clock.now()) {
      cache.delete(clientId);
      cache.set(clientId, cached); // most recently used
      return Promise.resolve(cached.client);
    }
    if (options.allowUrl !== undefined && !options.allowUrl(url)) return Promise.resolve(undefined);
    const pending = inFlight.get(clientId);
    if (pending !== undefined) return pending;
    const key = detached(clientId);
    const started = resolve(key).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };

  const bound = <K extends 'registerClient' | 'updateClient' | 'deleteClient' | 'listClients'>(name: K) =>
    store[name] === undefined ? {} : { [name]: (store[name] as (...args: never[]) => unknown).bind(store) };

  return {
    findClient(clientId) {
      const url = metadataDocumentUrl(clientId);
      return url === undefined ? store.findClient(clientId) : findByUrl(clientId, url);
    },
    ...bound('registerClient'),
    ...bound('updateClient'),
    ...bound('deleteClient'),
    ...bound('listClients'),
  } as ClientStore;
}

import {
  type ClientRecord,
  type ClientStore,
  type Clock,
  clientRecordSchema,
  type DeleteClientResult,
  type RegisterClientResult,
  systemClock,
  type UpdateClientResult,
} from '@kraikub/core';
import type { RedisConnection } from './connection.ts';
import { asText, CorruptRecordError } from './lib/envelope.ts';
import { checkPrefix } from './lib/keys.ts';

/**
 * Options of {@link RedisClientStore}.
 *
 * @example
 * ```ts
 * import { RedisClientStore, type RedisConnection } from '@kraikub/adapter-redis';
 * declare const connection: RedisConnection;
 * const clients = new RedisClientStore({ connection, cacheTtlMs: 5_000, cacheMaxEntries: 500 });
 * ```
 */
export interface RedisClientStoreOptions {
  /** The Redis (single node or Cluster) to use; see {@link connectRedis}. */
  readonly connection: RedisConnection;
  /** Prefix of every key (no `{` or `}`). Default `kraikub:`. */
  readonly prefix?: string;
  /**
   * Keep clients found in this process for this many ms, so a token request
   * costs no Redis round trip for its client. A change made elsewhere (a
   * new secret, a removal) is seen at most this late; changes through this
   * very instance are seen at once. Default 0: no cache.
   */
  readonly cacheTtlMs?: number;
  /** Most clients the cache keeps (the oldest go first). Default 1000. */
  readonly cacheMaxEntries?: number;
  /** The clock of the cache. Default: `Date.now()`. */
  readonly clock?: Clock;
}

function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }) {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || 'client'}: ${issue.message}`);
}

/**
 * A {@link ClientStore} on Redis: client registrations shared by every
 * provider process, one JSON string per client under
 * `<prefix>client:<clientId>`, validated with core's `clientRecordSchema`
 * when written and when read (a record that fails is an error, never a client).
 *
 * `findClient` is one `GET`; with `cacheTtlMs` a found client is kept in
 * process for that long, which takes the client lookup off the token
 * endpoint's round trips.
 *
 * @example
 * ```ts
 * import { RedisClientStore, type RedisConnection } from '@kraikub/adapter-redis';
 * declare const connection: RedisConnection;
 * const clients = new RedisClientStore({ connection, cacheTtlMs: 5_000 });
 * await clients.register({ id: 'web', name: 'Web', tokenEndpointAuthMethod: 'none',
 *   redirectUris: ['https://app.example.com/cb'], grantTypes: ['authorization_code'], scopes: ['profile'] });
 * ```
 */
export class RedisClientStore implements ClientStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #cacheTtlMs: number;
  readonly #cacheMax: number;
  readonly #cache = new Map<string, { readonly client: ClientRecord; readonly until: number }>();

  constructor(options: RedisClientStoreOptions) {
    if (typeof options?.connection?.command !== 'function') {
      throw new TypeError('RedisClientStore: connection must be a RedisConnection (see connectRedis)');
    }
    const ttl = options.cacheTtlMs ?? 0;
    const max = options.cacheMaxEntries ?? 1000;
    if (!Number.isFinite(ttl) || ttl < 0) throw new TypeError('RedisClientStore: cacheTtlMs must be >= 0');
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError('RedisClientStore: cacheMaxEntries must be >= 1');
    this.#redis = options.connection;
    this.#prefix = checkPrefix(options.prefix ?? 'kraikub:', 'RedisClientStore');
    this.#clock = options.clock ?? systemClock;
    this.#cacheTtlMs = ttl;
    this.#cacheMax = max;
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    const cached = this.#cache.get(clientId);
    if (cached !== undefined) {
      if (cached.until > this.#clock.now()) return cached.client;
      this.#cache.delete(clientId);
    }
    const key = this.#key(clientId);
    const text = asText(await this.#redis.command(['GET', key], { key, readOnly: true }));
    if (text === null) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CorruptRecordError(`redis: client ${JSON.stringify(clientId)} is not valid JSON`);
    }
    const parsed = clientRecordSchema.safeParse(json);
    if (!parsed.success || parsed.data.id !== clientId) {
      throw new CorruptRecordError(`redis: client ${JSON.stringify(clientId)} is not a valid client record`);
    }
    this.#remember(parsed.data);
    return parsed.data;
  }

  /**
   * Validates and stores (or replaces) a client. A bad registration throws a
   * `TypeError` naming each bad field.
   *
   * @example
   * ```ts
   * import { readFile } from 'node:fs/promises';
   * import type { RedisClientStore } from '@kraikub/adapter-redis';
   * declare const clients: RedisClientStore;
   * await clients.register(JSON.parse(await readFile('client.json', 'utf8')));
   * ```
   */
  async register(client: unknown): Promise<ClientRecord> {
    const parsed = this.#parse(client);
    const key = this.#key(parsed.id);
    await this.#redis.command(['SET', key, JSON.stringify(parsed)], { key });
    this.#cache.delete(parsed.id);
    return parsed;
  }

  /**
   * Removes a client; true if it existed. Other processes' caches keep it
   * for at most their `cacheTtlMs`.
   *
   * @example
   * ```ts
   * import type { RedisClientStore } from '@kraikub/adapter-redis';
   * declare const clients: RedisClientStore;
   * const removed = await clients.remove('web');
   * ```
   */
  async remove(clientId: string): Promise<boolean> {
    this.#cache.delete(clientId);
    const key = this.#key(clientId);
    return Number(await this.#redis.command(['DEL', key], { key })) > 0;
  }

  /** Stores a new client (validated) with `SET NX`: `exists` when its id is taken. */
  async registerClient(client: ClientRecord): Promise<RegisterClientResult> {
    const parsed = this.#parse(client);
    const key = this.#key(parsed.id);
    const reply = await this.#redis.command(['SET', key, JSON.stringify(parsed), 'NX'], { key });
    this.#cache.delete(parsed.id);
    return reply === null ? { status: 'exists' } : { status: 'registered' };
  }

  /** Replaces an existing client (validated) with `SET XX`: `not_found` when there is none. */
  async updateClient(client: ClientRecord): Promise<UpdateClientResult> {
    const parsed = this.#parse(client);
    const key = this.#key(parsed.id);
    const reply = await this.#redis.command(['SET', key, JSON.stringify(parsed), 'XX'], { key });
    this.#cache.delete(parsed.id);
    return reply === null ? { status: 'not_found' } : { status: 'updated' };
  }

  async deleteClient(clientId: string): Promise<DeleteClientResult> {
    return (await this.remove(clientId)) ? { status: 'deleted' } : { status: 'not_found' };
  }

  /** Every client, by a SCAN of the key space (administration, never a request path). */
  async listClients(): Promise<ClientRecord[]> {
    const start = `${this.#prefix}client:`;
    const found: ClientRecord[] = [];
    for (const key of await this.#redis.scan(`${start}*`)) {
      const client = await this.findClient(key.slice(start.length));
      if (client !== undefined) found.push(client);
    }
    return found;
  }

  #parse(client: unknown): ClientRecord {
    const parsed = clientRecordSchema.safeParse(client);
    if (!parsed.success) {
      throw new TypeError(`Invalid client registration:\n${describeIssues(parsed.error).join('\n')}`);
    }
    return parsed.data;
  }

  #key(clientId: string): string {
    if (typeof clientId !== 'string') throw new TypeError('RedisClientStore: client id must be a string');
    return `${this.#prefix}client:${clientId}`;
  }

  #remember(client: ClientRecord): void {
    if (this.#cacheTtlMs === 0) return;
    if (this.#cache.size >= this.#cacheMax) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(client.id, { client, until: this.#clock.now() + this.#cacheTtlMs });
  }
}

import { StorageUnavailableError } from '@kraikub/core';
import { DeadlineSlots } from './lib/deadlines.ts';
import { RedisReplyError, storeError } from './lib/errors.ts';
import type { LuaScript } from './lib/scripts.ts';
import { positiveMs, timedOut, withTimeout } from './lib/timeout.ts';

/**
 * What {@link RedisConnection} needs of a single-node client: what node-redis'
 * `createClient()` returns (any modules, scripts or RESP version).
 *
 * @example
 * ```ts
 * import type { RedisClientLike } from '@kraikub/adapter-redis';
 * import { createClient } from 'redis';
 * const client: RedisClientLike = createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true });
 * ```
 */
export interface RedisClientLike {
  sendCommand(args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  listenerCount(event: 'error'): number;
  close(): Promise<void>;
  destroy(): void;
  readonly isReady: boolean;
}

/**
 * What {@link RedisConnection} needs of a cluster client: what node-redis' `createCluster()` returns.
 *
 * @example
 * ```ts
 * import type { RedisClusterLike } from '@kraikub/adapter-redis';
 * import { createCluster } from 'redis';
 * const cluster: RedisClusterLike = createCluster({
 *   rootNodes: [{ url: 'redis://10.0.0.1:7000' }],
 *   defaults: { disableOfflineQueue: true },
 * });
 * ```
 */
export interface RedisClusterLike {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: { abortSignal?: AbortSignal },
  ): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  listenerCount(event: 'error'): number;
  close(): Promise<void>;
  destroy(): void;
  readonly isReady: boolean;
  /** The master nodes, for scans over the whole key space. */
  readonly masters: readonly unknown[];
  nodeClient(node: never): Promise<RedisClientLike> | RedisClientLike;
}

/**
 * Options of {@link RedisConnection}.
 *
 * @example
 * ```ts
 * import { type RedisClientLike, RedisConnection } from '@kraikub/adapter-redis';
 * declare const client: RedisClientLike;
 * const connection = new RedisConnection(client, {
 *   commandTimeoutMs: 500,
 *   onError: (error) => console.warn(error.message),
 * });
 * ```
 */
export interface RedisConnectionOptions {
  /**
   * How long one command may take, from the call to the reply, before it
   * fails with `StorageUnavailableError` (core answers `temporarily_unavailable`).
   * Commands started within a tenth of this share one timer, so a command
   * fails after this long and at most a tenth more. Default 1000 ms.
   */
  readonly commandTimeoutMs?: number;
  /** Called with every error the client emits (lost connections, reconnect failures): for logs. */
  readonly onError?: (error: Error) => void;
}

function isCluster(backend: RedisClientLike | RedisClusterLike): backend is RedisClusterLike {
  return Array.isArray((backend as { masters?: unknown }).masters);
}

/**
 * One Redis (single node or Cluster) shared by the stores: every command is
 * bounded by a timeout, every failure is mapped for core, and Lua scripts
 * run by SHA (EVALSHA), loaded again with EVAL when the server lost them
 * (`NOSCRIPT`, after a restart or a failover).
 *
 * Use {@link connectRedis} to build one with fail-closed settings, or wrap a
 * node-redis client you configured yourself (then give it
 * `disableOfflineQueue: true`, and no `keyPrefix`: use the stores' `prefix`).
 * An `error` listener is added when the client has none, so a lost
 * connection never crashes the process.
 *
 * @example
 * ```ts
 * import { RedisConnection, RedisGrantStore } from '@kraikub/adapter-redis';
 * import { createClient } from 'redis';
 * const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
 * const client = createClient({ url, disableOfflineQueue: true });
 * await client.connect();
 * const connection = new RedisConnection(client, { commandTimeoutMs: 500 });
 * const grants = new RedisGrantStore({ connection });
 * ```
 */
export class RedisConnection {
  /** The node-redis client or cluster client underneath. */
  readonly client: RedisClientLike | RedisClusterLike;
  /** The limit of one command, in ms. */
  readonly commandTimeoutMs: number;
  /** The commands' time limits, a slot of commands sharing one signal and timer at a time. */
  readonly #deadlines: DeadlineSlots;

  constructor(client: RedisClientLike | RedisClusterLike, options: RedisConnectionOptions = {}) {
    if (typeof client?.sendCommand !== 'function') {
      throw new TypeError('RedisConnection: client must be a node-redis client or cluster');
    }
    if ((client as { _keyPrefix?: unknown })._keyPrefix !== undefined) {
      throw new TypeError(
        "RedisConnection: the client has a keyPrefix; use the stores' prefix option instead",
      );
    }
    this.client = client;
    this.commandTimeoutMs = positiveMs(options.commandTimeoutMs, 1000, 'commandTimeoutMs');
    this.#deadlines = new DeadlineSlots(this.commandTimeoutMs);
    const onError = options.onError;
    if (onError !== undefined) client.on('error', onError);
    else if (client.listenerCount('error') === 0) client.on('error', () => undefined);
  }

  /** True when the client is connected (for a cluster: has discovered it). */
  get isReady(): boolean {
    return this.client.isReady;
  }

  /**
   * Sends one command, routed (on a Cluster) by `key`. Rejects with
   * `StorageUnavailableError` after `commandTimeoutMs` (at most a tenth more) or on any connection
   * failure, and with {@link RedisReplyError} for other error replies.
   *
   * @example
   * ```ts
   * import type { RedisConnection } from '@kraikub/adapter-redis';
   * declare const connection: RedisConnection;
   * const value = await connection.command(['GET', 'kraikub:client:web'], { key: 'kraikub:client:web' });
   * ```
   */
  async command(
    args: readonly string[],
    options: { readonly key?: string; readonly readOnly?: boolean } = {},
  ): Promise<unknown> {
    const what = args[0] ?? 'command';
    const client = this.client;
    try {
      // On timeout (after commandTimeoutMs, at most a tenth more), the command is dropped if it was
      // not written yet; one already sent may still run, and its caller answers 503 and issues
      // nothing: fail closed.
      return await this.#deadlines.run(
        (abortSignal) =>
          isCluster(client)
            ? client.sendCommand(options.key, options.readOnly, [...args], { abortSignal })
            : client.sendCommand([...args], { abortSignal }),
        () => new StorageUnavailableError(`redis: ${what} timed out after ${this.commandTimeoutMs} ms`),
      );
    } catch (error) {
      throw storeError(error, what);
    }
  }

  /**
   * Runs a Lua script by its SHA-1; when the server does not have it
   * (`NOSCRIPT`), sends the source once with EVAL, which caches it again.
   * All `keys` must share one hash slot.
   *
   * @example
   * ```ts
   * import type { LuaScript, RedisConnection } from '@kraikub/adapter-redis';
   * declare const connection: RedisConnection;
   * declare const script: LuaScript;
   * declare const key: string;
   * const reply = await connection.runScript(script, [key], ['arg']);
   * ```
   */
  async runScript(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    const key = keys[0];
    const route = key === undefined ? {} : { key };
    try {
      return await this.command(['EVALSHA', script.sha, ...tail], route);
    } catch (error) {
      const reply =
        error instanceof RedisReplyError ? (error.cause as Error | undefined)?.message : undefined;
      if (reply?.startsWith('NOSCRIPT') !== true) throw error;
      return this.command(['EVAL', script.source, ...tail], route);
    }
  }

  /**
   * Every key matching a glob `pattern`, on every master (SCAN): for tests,
   * inspection and maintenance, never on a request path.
   *
   * @example
   * ```ts
   * import type { RedisConnection } from '@kraikub/adapter-redis';
   * declare const connection: RedisConnection;
   * const keys = await connection.scan('kraikub:*');
   * ```
   */
  async scan(pattern: string): Promise<string[]> {
    const client = this.client;
    const nodes: RedisClientLike[] = isCluster(client)
      ? await Promise.all(client.masters.map((master) => client.nodeClient(master as never)))
      : [client];
    const keys = new Set<string>();
    for (const node of nodes) {
      const scanOne = new RedisConnection(node, { commandTimeoutMs: this.commandTimeoutMs });
      let cursor = '0';
      do {
        const reply = (await scanOne.command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [
          unknown,
          unknown[],
        ];
        cursor = String(reply[0]);
        for (const key of reply[1]) keys.add(String(key));
      } while (cursor !== '0');
    }
    return [...keys];
  }

  /**
   * Closes the connection: waits for pending replies (at most
   * `commandTimeoutMs`), then drops the socket.
   *
   * @example
   * ```ts
   * import type { RedisConnection } from '@kraikub/adapter-redis';
   * declare const connection: RedisConnection;
   * process.on('SIGTERM', () => connection.close());
   * ```
   */
  async close(): Promise<void> {
    try {
      const done = await withTimeout(this.client.close(), this.commandTimeoutMs);
      if (done === timedOut) this.client.destroy();
    } catch {
      // Already closed, or never connected: there is nothing left to release.
    }
  }
}

import { StorageUnavailableError } from '@kraikub/core';
import { createClient, createCluster, ErrorReply } from 'redis';
import type { LuaScript } from './lib/scripts.ts';

/**
 * What {@link RedisConnection} needs of a single-node client: what node-redis'
 * `createClient()` returns (any modules, scripts or RESP version).
 *
 * @example
 * ```ts
 * const client: RedisClientLike = createClient({ url, disableOfflineQueue: true });
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
 * const cluster: RedisClusterLike = createCluster({ rootNodes: [{ url }], defaults: { disableOfflineQueue: true } });
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
 * new RedisConnection(client, { commandTimeoutMs: 500, onError: (error) => log.warn(error.message) });
 * ```
 */
export interface RedisConnectionOptions {
  /**
   * How long one command may take, from the call to the reply, before it
   * fails with `StorageUnavailableError` (core answers `temporarily_unavailable`).
   * Default 1000 ms.
   */
  readonly commandTimeoutMs?: number;
  /** Called with every error the client emits (lost connections, reconnect failures): for logs. */
  readonly onError?: (error: Error) => void;
}

/**
 * Options of {@link connectRedis}.
 *
 * @example
 * ```ts
 * await connectRedis({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 1_000, maxReconnectDelayMs: 2_000 });
 * ```
 */
export interface ConnectRedisOptions extends RedisConnectionOptions {
  /** A single Redis: `redis://[[user]:password@]host[:port][/db]` or `rediss://...`. */
  readonly url?: string;
  /** A Redis Cluster: the URLs of some of its nodes; the rest is discovered. */
  readonly cluster?: readonly string[];
  /** One connection attempt's limit, in ms. Default: `commandTimeoutMs`. */
  readonly connectTimeoutMs?: number;
  /** How long {@link connectRedis} waits for the first connection before it rejects. Default 10 000 ms. */
  readonly startupTimeoutMs?: number;
  /** Longest wait between two reconnection attempts, in ms (backoff from 50 ms). Default 1000 ms. */
  readonly maxReconnectDelayMs?: number;
  /**
   * Commands a connection may hold (waiting to be sent or for their reply)
   * before new ones fail at once. Default 10 000.
   */
  readonly maxPendingCommands?: number;
}

/**
 * A Redis error reply that is not about availability (`ERR`, `WRONGTYPE`,
 * `NOPERM`...): core answers `server_error`. Availability replies
 * (`CLUSTERDOWN`, `LOADING`, `BUSY`, `TRYAGAIN`, `MASTERDOWN`, `READONLY`, `OOM`...)
 * are `StorageUnavailableError`s instead.
 *
 * @example
 * ```ts
 * try { await connection.command(['GET', 'k']); }
 * catch (error) { if (error instanceof RedisReplyError) log.error(error.message); }
 * ```
 */
export class RedisReplyError extends Error {
  override readonly name = 'RedisReplyError';
}

const transientReplies =
  /^(CLUSTERDOWN|LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|NOREPLICAS|OOM|MOVED|ASK)\b/;

function isErrorReply(error: unknown): error is Error {
  if (error instanceof ErrorReply) return true;
  // A client from another copy of @redis/client: its classes differ, their names do not.
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return error instanceof Error && (name === 'SimpleError' || name === 'BlobError' || name === 'ErrorReply');
}

/**
 * Every failure becomes one of two errors: a `StorageUnavailableError`
 * (timeouts, refused or lost connections, a closed client, a full queue, a
 * cluster that is down or failing over), or a {@link RedisReplyError}.
 */
function storeError(error: unknown, what: string): Error {
  if (error instanceof StorageUnavailableError || error instanceof RedisReplyError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isErrorReply(error) && !transientReplies.test(message)) {
    return new RedisReplyError(`redis: ${what}: ${message}`, { cause: error });
  }
  return new StorageUnavailableError(`redis: ${what}: ${message}`, { cause: error });
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (typeof result !== 'number' || !Number.isFinite(result) || result <= 0) {
    throw new TypeError(`adapter-redis: ${name} must be a positive number of milliseconds`);
  }
  return result;
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
 * import { createClient } from 'redis';
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
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
    this.commandTimeoutMs = positive(options.commandTimeoutMs, 1000, 'commandTimeoutMs');
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
   * `StorageUnavailableError` after `commandTimeoutMs` or on any connection
   * failure, and with {@link RedisReplyError} for other error replies.
   *
   * @example
   * ```ts
   * const value = await connection.command(['GET', 'kraikub:client:web'], { key: 'kraikub:client:web' });
   * ```
   */
  async command(
    args: readonly string[],
    options: { readonly key?: string; readonly readOnly?: boolean } = {},
  ): Promise<unknown> {
    const what = args[0] ?? 'command';
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new StorageUnavailableError(`redis: ${what} timed out after ${this.commandTimeoutMs} ms`));
        // Drops the command if it was not written yet; one already sent may still run, and its
        // caller answers 503 and issues nothing: fail closed.
        controller.abort();
      }, this.commandTimeoutMs);
    });
    try {
      const client = this.client;
      const signal = controller.signal;
      const pending = isCluster(client)
        ? client.sendCommand(options.key, options.readOnly, [...args], { abortSignal: signal })
        : client.sendCommand([...args], { abortSignal: signal });
      // A reply or rejection after the timeout has nobody waiting: keep it from being unhandled.
      pending.catch(() => undefined);
      return await Promise.race([pending, timeout]);
    } catch (error) {
      throw storeError(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs a Lua script by its SHA-1; when the server does not have it
   * (`NOSCRIPT`), sends the source once with EVAL, which caches it again.
   * All `keys` must share one hash slot.
   *
   * @example
   * ```ts
   * await connection.runScript(script, [key], ['arg']);
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
   * process.on('SIGTERM', () => connection.close());
   * ```
   */
  async close(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.commandTimeoutMs);
    });
    try {
      const done = await Promise.race([this.client.close().then(() => 'closed' as const), late]);
      if (done === 'late') this.client.destroy();
    } catch {
      // Already closed, or never connected: there is nothing left to release.
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Connects to Redis (one node, or a Cluster) with fail-closed settings: no
 * offline queue (a command while disconnected fails at once), a bounded
 * pending-command queue, a connect timeout, endless reconnection with a
 * backoff capped at `maxReconnectDelayMs`, and `commandTimeoutMs` on every
 * command. Resolves once connected; rejects with `StorageUnavailableError`
 * if that takes longer than `startupTimeoutMs`.
 *
 * @example
 * ```ts
 * const connection = await connectRedis({ url: 'redis://127.0.0.1:6379' });
 * const cluster = await connectRedis({ cluster: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] });
 * ```
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<RedisConnection> {
  const commandTimeoutMs = positive(options.commandTimeoutMs, 1000, 'commandTimeoutMs');
  const connectTimeout = positive(options.connectTimeoutMs, commandTimeoutMs, 'connectTimeoutMs');
  const startupTimeoutMs = positive(options.startupTimeoutMs, 10_000, 'startupTimeoutMs');
  const maxDelay = positive(options.maxReconnectDelayMs, 1000, 'maxReconnectDelayMs');
  const maxPending = positive(options.maxPendingCommands, 10_000, 'maxPendingCommands');
  const hasCluster = options.cluster !== undefined && options.cluster.length > 0;
  if ((options.url === undefined) === !hasCluster) {
    throw new TypeError('connectRedis: give either url or cluster (a non-empty list of node URLs)');
  }
  const socket = {
    connectTimeout,
    // Never gives up: the same process serves again as soon as Redis is back.
    reconnectStrategy: (retries: number) => Math.min(maxDelay, 50 * 2 ** Math.min(retries, 10)),
  };
  const common = { disableOfflineQueue: true, commandsQueueMaxLength: maxPending, socket };
  const client: RedisClientLike | RedisClusterLike = hasCluster
    ? (createCluster({
        rootNodes: (options.cluster ?? []).map((url) => ({ url, socket })),
        defaults: common,
      }) as unknown as RedisClusterLike)
    : (createClient({ url: options.url, ...common }) as unknown as RedisClientLike);
  const connection = new RedisConnection(client, options);
  // The last failure while connecting, so a start that gives up can say why.
  let lastError: string | undefined;
  const remember = (error: Error) => {
    lastError = error.message;
  };
  client.on('error', remember);
  const connecting = (client as unknown as { connect(): Promise<unknown> }).connect();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), startupTimeoutMs);
  });
  try {
    const outcome = await Promise.race([connecting.then(() => 'connected' as const), late]);
    if (outcome === 'late') {
      const why = lastError === undefined ? '' : `: ${lastError}`;
      throw new Error(`not connected after ${startupTimeoutMs} ms${why}`);
    }
  } catch (error) {
    connecting.catch(() => undefined);
    client.destroy();
    throw new StorageUnavailableError(`redis: cannot connect: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
    (client as unknown as { off(event: 'error', listener: (error: Error) => void): unknown }).off(
      'error',
      remember,
    );
  }
  return connection;
}

/**
 * The factory: {@link connectRedis} builds a node-redis client (one node or
 * a Cluster) with fail-closed settings and wraps it in a {@link RedisConnection}.
 *
 * @module
 */
import { StorageUnavailableError } from '@kraikub/core';
import { createClient, createCluster } from 'redis';
import {
  type RedisClientLike,
  type RedisClusterLike,
  RedisConnection,
  type RedisConnectionOptions,
} from './connection.ts';
import { positiveMs, timedOut, withTimeout } from './lib/timeout.ts';

/**
 * Options of {@link connectRedis}.
 *
 * @example
 * ```ts
 * import { connectRedis } from '@kraikub/adapter-redis';
 * const connection = await connectRedis({
 *   url: 'redis://127.0.0.1:6379',
 *   commandTimeoutMs: 1_000,
 *   maxReconnectDelayMs: 2_000,
 * });
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
 * Connects to Redis (one node, or a Cluster) with fail-closed settings: no
 * offline queue (a command while disconnected fails at once), a bounded
 * pending-command queue, a connect timeout, endless reconnection with a
 * backoff capped at `maxReconnectDelayMs`, and `commandTimeoutMs` on every
 * command. Resolves once connected; rejects with `StorageUnavailableError`
 * if that takes longer than `startupTimeoutMs`.
 *
 * @example
 * ```ts
 * import { connectRedis } from '@kraikub/adapter-redis';
 * const connection = await connectRedis({ url: 'redis://127.0.0.1:6379' });
 * const cluster = await connectRedis({ cluster: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] });
 * ```
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<RedisConnection> {
  const commandTimeoutMs = positiveMs(options.commandTimeoutMs, 1000, 'commandTimeoutMs');
  const connectTimeout = positiveMs(options.connectTimeoutMs, commandTimeoutMs, 'connectTimeoutMs');
  const startupTimeoutMs = positiveMs(options.startupTimeoutMs, 10_000, 'startupTimeoutMs');
  const maxDelay = positiveMs(options.maxReconnectDelayMs, 1000, 'maxReconnectDelayMs');
  const maxPending = positiveMs(options.maxPendingCommands, 10_000, 'maxPendingCommands');
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
    : (createClient(
        options.url === undefined ? common : { url: options.url, ...common },
      ) as unknown as RedisClientLike);
  const connection = new RedisConnection(client, options);
  // The last failure while connecting, so a start that gives up can say why.
  let lastError: string | undefined;
  const remember = (error: Error) => {
    lastError = error.message;
  };
  client.on('error', remember);
  const connecting = (client as unknown as { connect(): Promise<unknown> }).connect();
  try {
    const outcome = await withTimeout(connecting, startupTimeoutMs);
    if (outcome === timedOut) {
      const why = lastError === undefined ? '' : `: ${lastError}`;
      throw new Error(`not connected after ${startupTimeoutMs} ms${why}`);
    }
  } catch (error) {
    connecting.catch(() => undefined);
    client.destroy();
    throw new StorageUnavailableError(`redis: cannot connect: ${(error as Error).message}`, { cause: error });
  } finally {
    (client as unknown as { off(event: 'error', listener: (error: Error) => void): unknown }).off(
      'error',
      remember,
    );
  }
  return connection;
}

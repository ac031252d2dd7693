import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  connectRedis,
  RedisClientStore,
  type RedisConnection,
  RedisGrantStore,
  RedisInteractionStore,
} from '@kraikub/adapter-redis';
import type { ClientStore, GrantStore, InteractionStore } from '@kraikub/core';
import { readClientsFile } from './clients-file.ts';
import type { Settings } from './config.ts';
import { type AppStore, MemoryAppStore } from './store/app-store.ts';
import { RedisAppStore } from './store/redis-app-store.ts';

/** Everything the provider keeps, in one backend. */
export interface Storage {
  /** Registered clients: the configured store, or (in memory) the clients file. */
  readonly clients: ClientStore & { register(client: unknown): unknown };
  readonly grants: GrantStore;
  readonly interactions: InteractionStore;
  /** Sessions, remembered consents, login rate limits. */
  readonly app: AppStore;
  /** For the banner: where things live (no password). */
  readonly description: string;
  /** The Redis connection, when there is one. */
  readonly redis?: RedisConnection;
  close(): Promise<void>;
}

/** A start-up failure the user can act on: printed as one line, without a stack trace. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** A URL with its password hidden. */
export function redacted(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = '***';
  return url.href;
}

/** Connects to Redis, saying what it waits for; an unreachable Redis is a {@link StartupError}. */
export async function connectStore(
  url: string,
  waitSeconds: number,
  say: (line: string) => void = console.error,
): Promise<RedisConnection> {
  say(`Waiting for Redis at ${redacted(url)} (up to ${waitSeconds} s)...`);
  try {
    return await connectRedis({ url, startupTimeoutMs: waitSeconds * 1000 });
  } catch (cause) {
    const reason = (cause as Error).message.replace(/^redis: cannot connect: /, '');
    throw new StartupError(
      `Cannot connect to Redis at ${redacted(url)} (${reason}). Start Redis, or unset REDIS_URL to keep everything in memory.`,
    );
  }
}

/**
 * Opens the configured storage: Redis with `REDIS_URL` (every process shares
 * everything), else memory (one process; clients from the clients file).
 */
export async function openStorage(settings: Settings): Promise<Storage> {
  if (settings.redisUrl !== undefined) {
    const redis = await connectStore(settings.redisUrl, settings.storeWaitSeconds);
    return {
      clients: new RedisClientStore({ connection: redis, cacheTtlMs: 5_000 }),
      grants: new RedisGrantStore({ connection: redis }),
      interactions: new RedisInteractionStore({ connection: redis }),
      app: new RedisAppStore(redis),
      description: `Redis storage at ${redacted(settings.redisUrl)}`,
      redis,
      close: () => redis.close(),
    };
  }
  return {
    clients: new MemoryClientStore(await readClientsFile(settings.clientsFile)),
    grants: new MemoryGrantStore(),
    interactions: new MemoryInteractionStore(),
    app: new MemoryAppStore(),
    description: 'in-memory storage',
    close: async () => undefined,
  };
}

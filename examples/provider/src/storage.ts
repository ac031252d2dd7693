import { MemoryClientStore, MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import {
  createPostgresPool,
  migrate,
  PostgresClientStore,
  PostgresGrantStore,
  PostgresInteractionStore,
} from '@kraikub/adapter-postgres';
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
import { appTablesSql, PostgresAppStore } from './store/postgres-app-store.ts';
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

/** Connects to PostgreSQL and migrates, saying what it waits for; a failure is a {@link StartupError}. */
async function connectDatabase(url: string, waitSeconds: number, say: (line: string) => void) {
  say(`Waiting for PostgreSQL at ${redacted(url)} (up to ${waitSeconds} s)...`);
  const pool = createPostgresPool(url, { max: 10 });
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      await migrate(pool);
      await pool.query(appTablesSql('kraikub'));
      return pool;
    } catch (cause) {
      if (Date.now() >= until) {
        await pool.end().catch(() => undefined);
        const reason = (cause as Error).message;
        throw new StartupError(
          `Cannot connect to PostgreSQL at ${redacted(url)} (${reason}). Start it, or unset DATABASE_URL to keep everything in memory.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Opens the configured storage: PostgreSQL with `DATABASE_URL` or Redis with
 * `REDIS_URL` (every process shares everything), else memory (one process;
 * clients from the clients file).
 */
export async function openStorage(
  settings: Settings,
  say: (line: string) => void = console.error,
): Promise<Storage> {
  if (settings.databaseUrl !== undefined) {
    const pool = await connectDatabase(settings.databaseUrl, settings.storeWaitSeconds, say);
    const grants = new PostgresGrantStore({ pool, sweepIntervalMs: 60_000 });
    const interactions = new PostgresInteractionStore({ pool, sweepIntervalMs: 60_000 });
    const app = new PostgresAppStore(pool);
    const sweeping = setInterval(() => void app.sweep().catch(() => undefined), 60_000);
    sweeping.unref();
    return {
      clients: new PostgresClientStore({ pool, cacheTtlMs: 5_000 }),
      grants,
      interactions,
      app,
      description: `PostgreSQL storage at ${redacted(settings.databaseUrl)}`,
      close: async () => {
        clearInterval(sweeping);
        await grants.close();
        await interactions.close();
        await pool.end();
      },
    };
  }
  if (settings.redisUrl !== undefined) {
    const redis = await connectStore(settings.redisUrl, settings.storeWaitSeconds, say);
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

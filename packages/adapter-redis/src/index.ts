/**
 * `@kraikub/adapter-redis`: `GrantStore`, `ClientStore` and
 * `InteractionStore` for `@kraikub/core` on Redis and Redis Cluster, with
 * Lua scripts for the atomic operations and fail-closed timeouts.
 *
 * @packageDocumentation
 */

export type { RedisClientStoreOptions } from './client-store.ts';
export { RedisClientStore } from './client-store.ts';
export type { ConnectRedisOptions } from './connect.ts';
export { connectRedis } from './connect.ts';
export type { RedisClientLike, RedisClusterLike, RedisConnectionOptions } from './connection.ts';
export { RedisConnection } from './connection.ts';
export type { RedisGrantStoreOptions } from './grant-store.ts';
export { RedisGrantStore } from './grant-store.ts';
export type { RedisInteractionStoreOptions } from './interaction-store.ts';
export { RedisInteractionStore } from './interaction-store.ts';
export { CorruptRecordError } from './lib/envelope.ts';
export { RedisReplyError } from './lib/errors.ts';
export type { LuaScript } from './lib/scripts.ts';

import { createHash } from 'node:crypto';
import type { LuaScript, RedisConnection } from '@kraikub/adapter-redis';
import type { AppStore } from './app-store.ts';

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** INCR, and a new counter's window starts: one atomic step. */
const incrementScript = script(
  'appIncrement',
  `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`,
);

/** SADD, and the set lives at least ARGV[2] ms more. */
const addMemberScript = script(
  'appAddMember',
  `redis.call('SADD', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`,
);

/**
 * {@link AppStore} on Redis, shared by every provider process: values are
 * JSON strings with `PX`, counters and sets are Redis' own (each change one
 * atomic command or script).
 */
export class RedisAppStore implements AppStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, prefix = 'kraikub-app:') {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const name = this.#prefix + key;
    const text = await this.#redis.command(['GET', name], { key: name, readOnly: true });
    return typeof text === 'string' ? (JSON.parse(text) as T) : undefined;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const name = this.#prefix + key;
    await this.#redis.command(['SET', name, JSON.stringify(value), 'PX', String(Math.ceil(ttlMs))], {
      key: name,
    });
  }

  async setIfAbsent(key: string, value: unknown, ttlMs: number): Promise<boolean> {
    const name = this.#prefix + key;
    const reply = await this.#redis.command(
      ['SET', name, JSON.stringify(value), 'PX', String(Math.ceil(ttlMs)), 'NX'],
      { key: name },
    );
    return reply !== null;
  }

  async delete(key: string): Promise<void> {
    const name = this.#prefix + key;
    await this.#redis.command(['DEL', name], { key: name });
  }

  async increment(key: string, windowMs: number): Promise<number> {
    const name = this.#prefix + key;
    return Number(await this.#redis.runScript(incrementScript, [name], [String(Math.ceil(windowMs))]));
  }

  async addMember(key: string, member: string, ttlMs: number): Promise<void> {
    const name = this.#prefix + key;
    await this.#redis.runScript(addMemberScript, [name], [member, String(Math.ceil(ttlMs))]);
  }

  async removeMember(key: string, member: string): Promise<void> {
    const name = this.#prefix + key;
    await this.#redis.command(['SREM', name, member], { key: name });
  }

  async members(key: string): Promise<string[]> {
    const name = this.#prefix + key;
    const reply = await this.#redis.command(['SMEMBERS', name], { key: name, readOnly: true });
    return Array.isArray(reply) ? reply.map(String) : [];
  }
}

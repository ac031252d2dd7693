/**
 * Kraikub with `@kraikub/adapter-redis`'s `RedisGrantStore`, through
 * `toNodeHandler`. Redis is a private `redis-server` started for this process
 * on a free loopback port (pinned with the target, no persistence), so a run
 * never touches a shared Redis; with `REDIS_URL` set it uses that one instead
 * and deletes its keys when it stops. Reported as not available when the
 * adapter does not export the store or no Redis can be had.
 *
 * For the store's cost it tells the runner the pid of its private
 * `redis-server` (whose CPU the runner samples over the window), counts the
 * commands it sends (each `RedisConnection.command` is one round trip; a
 * script's `EVALSHA` is one), and reads Redis's own `INFO commandstats`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { GrantStore } from '@kraikub/core';
import { cryptoFor, kraikubTarget } from '../lib/kraikub.ts';
import { runTarget, Unavailable } from '../lib/target.ts';

interface RedisAdapter {
  connectRedis?: (options: { url: string }) => Promise<unknown>;
  RedisGrantStore?: new (options: {
    connection: unknown;
    prefix?: string;
  }) => GrantStore & { deleteAll?(): Promise<unknown> };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function privateRedis(): Promise<{ url: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new Unavailable(`redis-server could not start: ${error.message}`)),
    );
    server.once('spawn', () => resolve());
  });
  return { url: `redis://127.0.0.1:${port}`, server };
}

runTarget(async () => {
  const adapter = (await import('@kraikub/adapter-redis')) as RedisAdapter;
  if (adapter.RedisGrantStore === undefined || adapter.connectRedis === undefined) {
    throw new Unavailable('@kraikub/adapter-redis does not export RedisGrantStore and connectRedis yet');
  }
  const shared = process.env.REDIS_URL;
  const own = shared === undefined ? await privateRedis() : undefined;
  const url = shared ?? (own?.url as string);
  let connection: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      connection = await adapter.connectRedis({ url });
      break;
    } catch (cause) {
      // A fresh redis-server takes a moment to listen.
      if (attempt >= 50) {
        own?.server.kill();
        throw new Unavailable(`no Redis at ${url}: ${(cause as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // Every command the store sends goes through the connection's `command` (scripts too): count them there.
  let roundTrips = 0;
  const counted = connection as {
    command: (...args: unknown[]) => Promise<unknown>;
    client: { sendCommand(args: string[]): Promise<unknown> };
  };
  const command = counted.command.bind(connection);
  counted.command = (...args) => {
    roundTrips += 1;
    return command(...args);
  };
  /** Calls Redis has run (every command in `INFO commandstats`), read without being counted above. */
  const redisCommands = async () => {
    const info = String(await counted.client.sendCommand(['INFO', 'commandstats']));
    let calls = 0;
    for (const match of info.matchAll(/calls=(\d+)/g)) calls += Number(match[1]);
    return calls;
  };
  const store = new adapter.RedisGrantStore({ connection, prefix: `kraikub-bench:${process.pid}:` });
  const { crypto } = await cryptoFor();
  const setup = await kraikubTarget(store, crypto);
  return {
    ...setup,
    ...(own?.server.pid === undefined ? {} : { storePids: [own.server.pid] }),
    async stats() {
      return { counters: { roundTrips, redisCommands: await redisCommands() }, pids: [] };
    },
    async close() {
      if (shared !== undefined) await store.deleteAll?.();
      await (connection as { close?: () => Promise<void> }).close?.();
      own?.server.kill();
    },
  };
});

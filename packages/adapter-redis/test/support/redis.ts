/**
 * Finding or starting the Redis the tests need.
 *
 * - `REDIS_URL` (default `redis://127.0.0.1:6379`) when it answers PING;
 * - else a `redis-server` from PATH, started on a free loopback port;
 * - else the tests are skipped with a visible message, except under
 *   `CI=true`, where a missing Redis fails the run.
 *
 * Every process started here is killed in `stop()`, and on process exit as a
 * last resort.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'vitest';

const run = promisify(execFile);
const onCi = process.env.CI === 'true';

/** True when `redis-server` and `redis-cli` are on PATH. */
export function hasRedisServer(): boolean {
  const found = (name: string) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
  return found('redis-server') && found('redis-cli');
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING over a raw socket; true on `+PONG` within `timeoutMs`. */
export function ping(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A `redis-server` this test run started. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Its data directory (AOF files live here). */
  readonly dir: string;
  /** The running process's pid. */
  pid(): number | undefined;
  /** SIGKILL: no shutdown save, sockets reset at once. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** Kills it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on a free loopback port with no persistence (unless
 * `args` say otherwise) and a temporary `--dir`.
 */
export async function startRedisServer(
  args: readonly string[] = [],
  options: { port?: number; dir?: string } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kraikub-redis-'));
  let child: ChildProcess | undefined;

  const launch = async () => {
    const spawned = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...args,
      ],
      { stdio: 'ignore' },
    );
    children.add(spawned);
    spawned.once('exit', () => children.delete(spawned));
    child = spawned;
    await waitFor(() => ping('127.0.0.1', port), 10_000, `redis-server on port ${port}`);
  };
  const kill = async () => {
    const current = child;
    child = undefined;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: () => child?.pid,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Redis a test file uses: the one at `REDIS_URL`, or one it started. */
export interface RedisTarget {
  readonly url: string;
  /** Stops the server if this run started it. */
  stop(): Promise<void>;
}

/** Where a missing Redis is reported: a visible skip, or under CI a failure. */
function missing(absent: string, skipped: string): undefined {
  if (onCi)
    throw new Error(`adapter-redis: ${absent}, and under CI=true ${skipped} must run, not be skipped`);
  console.warn(`\n[skipped] adapter-redis: ${absent}; ${skipped} is skipped\n`);
  return undefined;
}

/**
 * `REDIS_URL` (default `redis://127.0.0.1:6379`) when it answers PING, else
 * a `redis-server` started here; `undefined` (with a message) when neither.
 */
export async function findRedis(): Promise<RedisTarget | undefined> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  // PING without AUTH only proves a password-less Redis; with a password in the URL, trust the URL.
  if (parsed.password !== '' || (await ping(host, port))) return { url, stop: async () => undefined };
  if (!hasRedisServer()) {
    return missing(`no Redis at ${url} and no redis-server on PATH`, 'this Redis test file');
  }
  const server = await startRedisServer();
  return { url: server.url, stop: () => server.stop() };
}

/**
 * Registers a visibly skipped test naming why, so the report shows it.
 * Call only when {@link findRedis} (or the check for `redis-server`) failed.
 */
export function reportSkipped(what: string): void {
  test.skip(`${what}: skipped, no Redis available (set REDIS_URL or put redis-server on PATH)`, () => {});
}

/** `redis-server` for tests that must start (and kill) their own; undefined with a message when absent. */
export function redisServerOrSkip(what: string): boolean {
  if (hasRedisServer()) return true;
  missing('no redis-server on PATH', what);
  return false;
}

/** A 3-master Redis Cluster on loopback ports, started for this test run. */
export interface RedisClusterServers {
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts 3 `redis-server --cluster-enabled yes` on free loopback ports, joins
 * them with `redis-cli --cluster create` (no replicas) and waits for
 * `cluster_state:ok` on each. On any failure everything started is stopped.
 */
export async function startCluster(): Promise<RedisClusterServers> {
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'kraikub-cluster-'));
      const busPort = await freePort();
      servers.push(
        await startRedisServer(
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-port',
            String(busPort),
            '--cluster-node-timeout',
            '2000',
          ],
          { dir },
        ),
      );
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 20_000,
      },
    );
    for (const server of servers) {
      await waitFor(
        async () => {
          const { stdout } = await run('redis-cli', ['-p', String(server.port), 'cluster', 'info']);
          return stdout.includes('cluster_state:ok');
        },
        20_000,
        `cluster_state:ok on port ${server.port}`,
      );
    }
    return { urls: servers.map((server) => server.url), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A prefix no other test run shares. */
export function uniquePrefix(name: string): string {
  return `kraikub-test:${name}:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`;
}

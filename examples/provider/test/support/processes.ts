/**
 * The processes the fuzz test runs: the example provider (as a child
 * process, exactly as `pnpm start` runs it, from sources through tsx) and
 * a private `redis-server` on a free loopback port (never the shared one),
 * and a private PostgreSQL database (for the two-process test).
 * Everything started here is killed in `stop()`, and on exit as a last resort.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { exchange } from './raw-http.ts';

/** examples/provider: tsx run from here resolves `@kraikub/*` to the package sources (tsconfig paths). */
export const providerDir = fileURLToPath(new URL('../../', import.meta.url));

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on 127.0.0.1 (the OS picks it; the listener is closed again). */
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

/** True when `redis-server` is on PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** PING over a raw socket; true on `+PONG`. */
function ping(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
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

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await sleep(25);
  }
  return false;
}

async function killChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const late = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(late);
}

/** A private redis-server: no persistence, loopback only, its own temp dir. */
export class RedisProcess {
  #child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess(await freePort(), mkdtempSync(join(tmpdir(), 'kraikub-fuzz-redis-')));
    await redis.restart();
    return redis;
  }

  /** Starts it (again) on the same port. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        // Durable, as Redis holding clients must be: a restart after SIGKILL finds what was written
        // (the registered clients above all); without it a restart is a new, empty store, not an outage.
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        this.dir,
      ],
      { stdio: 'ignore', cwd: this.dir },
    );
    children.add(child);
    child.once('exit', () => children.delete(child));
    this.#child = child;
    if (!(await waitFor(() => ping(this.port), 10_000))) {
      throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s`);
    }
  }

  /** SIGKILL: an abrupt outage, every connection reset at once. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    await killChild(child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How the provider process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
  /** The end of its stderr and stdout (the uncaught exception, usually). */
  readonly output: string;
}

export interface ProviderOptions {
  /** Codes, tokens and interactions in Redis. */
  readonly redisUrl?: string;
  /** More environment (ISSUER behind a proxy, say). */
  readonly env?: Readonly<Record<string, string>>;
}

/** One provider child process on its own port. */
class Instance {
  output = '';
  exit: ExitInfo | undefined;
  readonly ready: Promise<boolean>;

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readyTimeoutMs: number,
  ) {
    children.add(child);
    const keep = (data: Buffer) => {
      this.output = (this.output + data.toString('utf8')).slice(-6_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      children.delete(child);
      this.exit = { code, signal, at: Date.now(), output: this.output };
    });
    this.ready = waitFor(async () => {
      if (!this.alive()) return true;
      return (await metadataStatus(port, 1_000)) === 200;
    }, readyTimeoutMs).then((served) => served && this.alive());
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** The status of GET /.well-known/oauth-authorization-server, or undefined without a response. */
async function metadataStatus(port: number, timeoutMs: number): Promise<number | undefined> {
  const result = await exchange({
    port,
    writes: [
      Buffer.from(
        `GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      ),
    ],
    halfClose: false,
    head: false,
    timeoutMs,
  });
  return result.outcome === 'response' ? result.responses[0]?.status : undefined;
}

/**
 * The example provider as a child process: `node --import tsx src/main.ts`
 * with cwd examples/provider, so tsx applies that tsconfig's paths and the
 * `@kraikub/*` packages load from source (no `dist/` needed). Each start
 * picks a free port (bind to port 0, close, pass it as PORT).
 *
 * After a crash, a spare process (started in the background by
 * {@link warmSpare}) takes over at once instead of a cold start.
 */
export class ProviderProcess {
  #current: Instance | undefined;
  #spare: Instance | undefined;
  readonly #clientsFile: string;
  readonly #dir: string;
  readonly #readyTimeoutMs = 30_000;
  #lastPort = 0;
  #warming = false;
  #disposed = false;
  /** How many processes were started. */
  starts = 0;

  constructor(readonly options: ProviderOptions = {}) {
    this.#dir = mkdtempSync(join(tmpdir(), 'kraikub-fuzz-provider-'));
    // A path that does not exist: no clients are read from (or written to) the repository.
    this.#clientsFile = join(this.#dir, 'clients.json');
  }

  /** The port of the current process. */
  get port(): number {
    return this.#current?.port ?? this.#lastPort;
  }

  /** Set once the current process has exited by itself (a crash). */
  get exit(): ExitInfo | undefined {
    return this.#current?.exit;
  }

  alive(): boolean {
    return this.#current?.alive() ?? false;
  }

  async #spawn(): Promise<Instance> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of [
      'REDIS_URL',
      'DATABASE_URL',
      'SIGNING_KEYS',
      'SIGNING_KEYS_FILE',
      'ISSUER',
      'KRAIKUB_CONFIG',
      'DEMO_CLIENT_PORT',
      'NODE_OPTIONS',
    ]) {
      delete env[name];
    }
    Object.assign(env, {
      PORT: String(port),
      HOST: '127.0.0.1',
      DEMO: 'true',
      LOG_REQUESTS: 'false',
      CLIENTS_FILE: this.#clientsFile,
      ...(this.options.redisUrl === undefined ? {} : { REDIS_URL: this.options.redisUrl }),
      ...this.options.env,
    });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: providerDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts++;
    return new Instance(child, port, this.#readyTimeoutMs);
  }

  /** Starts a process (or promotes the spare) and waits until its metadata answers 200. */
  async start(): Promise<void> {
    await this.stop();
    const spare = this.#spare;
    this.#spare = undefined;
    if (spare !== undefined && (await spare.ready) && (await metadataStatus(spare.port, 2_000)) === 200) {
      this.#current = spare;
      this.#lastPort = spare.port;
      return;
    }
    await kill(spare, 'SIGKILL');
    const instance = await this.#spawn();
    this.#current = instance;
    this.#lastPort = instance.port;
    if (!(await instance.ready)) {
      const exit = instance.exit;
      await this.stop();
      throw new Error(
        exit === undefined
          ? `the provider did not serve its metadata within ${this.#readyTimeoutMs} ms:\n${instance.output}`
          : `the provider exited during start-up (code ${exit.code}, signal ${exit.signal}):\n${instance.output}`,
      );
    }
  }

  /** Starts a spare process in the background (if there is none), for a fast restart after a crash. */
  warmSpare(): void {
    if (this.#warming || (this.#spare !== undefined && this.#spare.exit === undefined)) return;
    this.#warming = true;
    void this.#spawn().then((instance) => {
      this.#warming = false;
      if (this.#disposed) {
        void kill(instance, 'SIGKILL');
        return;
      }
      void kill(this.#spare, 'SIGKILL');
      this.#spare = instance;
    });
  }

  /** The status of GET /.well-known/oauth-authorization-server, or undefined without a response. */
  metadataStatus(timeoutMs = 5_000): Promise<number | undefined> {
    return metadataStatus(this.port, timeoutMs);
  }

  /** Stops the current process (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    await kill(current, 'SIGTERM');
  }

  /** Stops everything and removes its temp dir. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const spare = this.#spare;
    this.#spare = undefined;
    await Promise.all([this.stop(), kill(spare, 'SIGKILL')]);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** Recent output of the current process. */
  output(): string {
    return this.#current?.output ?? '';
  }
}

async function kill(instance: Instance | undefined, signal: NodeJS.Signals): Promise<void> {
  await killChild(instance?.child, signal);
}

/**
 * The PostgreSQL server the tests may use: `DATABASE_URL` (as for the
 * adapter's tests), default the local one (database `test`). Each test file
 * makes a database of its own there.
 */
export const postgresUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A private database on the PostgreSQL server at {@link postgresUrl}, made
 * for one test file and dropped after: the provider migrates it at start.
 */
export class PostgresDatabase {
  private constructor(
    readonly url: string,
    readonly name: string,
  ) {}

  /** True when the server answers within 3 s. */
  static async available(): Promise<boolean> {
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  static async create(): Promise<PostgresDatabase> {
    const name = `kraikub_example_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await PostgresDatabase.#admin(`CREATE DATABASE ${name}`);
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    return new PostgresDatabase(url.href, name);
  }

  async drop(): Promise<void> {
    await PostgresDatabase.#admin(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
  }

  static async #admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3_000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

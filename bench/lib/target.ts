import { writeFileSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { CpuProfile } from './cpu-profile.ts';
import type { Command, Message, StoreStats, WindowStats, Work } from './protocol.ts';

/** The one client every target registers. */
export const client = {
  id: 'bench-client',
  secret: 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz',
  redirectUri: 'http://127.0.0.1:8080/callback',
  subject: 'user-1',
  scope: 'api',
  /** The scope of the OpenID Connect grants (`exchange-openid`): `openid` beside the API scope. */
  openidScope: 'openid api',
  /** The nonce of those grants' authorization requests: every ID Token must carry it back. */
  nonce: 'bench-nonce-0123456789',
} as const;

/** What a target file builds: its request listener and how it pre-mints credentials. */
export interface TargetSetup {
  /** The `node:http` request listener serving the token endpoint. */
  readonly listener: RequestListener;
  /** Path of the token endpoint. */
  readonly path: string;
  /** Anything else a target wants to expose to experiments. */
  readonly [extra: string]: unknown;
  /** The port to listen on (default: any free one). */
  readonly port?: number;
  /** The client secret, if the library generates its own. */
  readonly clientSecret?: string;
  /**
   * The works it can do (default `exchange` and `refresh`): a target that
   * signs ID Tokens lists `exchange-openid` too.
   */
  readonly works?: readonly Work[];
  /**
   * Pre-mints `count` distinct credentials through the library's own API:
   * authorization codes for `exchange`, codes of an OpenID Connect grant
   * (scope `openid`, a nonce) for `exchange-openid`, refresh tokens for `refresh`.
   */
  mint(work: Work, count: number): Promise<readonly string[]>;
  /** Cleans up before the process exits (a shared Redis keeps nothing of the run). */
  close?(): Promise<void>;
  /** Processes of a store the target started for itself (its private `redis-server`). */
  readonly storePids?: readonly number[];
  /** The store's counters now (see {@link StoreStats}); a target without a store has none. */
  stats?(): Promise<StoreStats>;
}

const defaultWorks: readonly Work[] = ['exchange', 'refresh'];

/** A target that cannot run here (a missing service, an adapter not built yet). */
export class Unavailable extends Error {}

function send(message: Message): void {
  process.send?.(message);
}

/**
 * Runs a target process: builds it, listens on a free loopback port, tells
 * the runner how to reach it, and mints credentials when asked (between
 * measurement windows, never during one).
 */
export function runTarget(build: () => Promise<TargetSetup>): void {
  if (process.send === undefined) {
    console.error('A target is started by bench/run.ts (it needs an IPC channel).');
    process.exit(2);
  }
  let close: (() => Promise<void>) | undefined;
  // A clean exit on SIGTERM, so that `--cpu-prof` writes its profile and stores clean up.
  const exit = () => {
    const done = () => process.exit(0);
    if (close === undefined) done();
    else close().then(done, done);
  };
  process.on('disconnect', exit);
  process.on('SIGTERM', exit);
  build().then(
    (setup) => {
      close = setup.close?.bind(setup);
      const server: Server = createServer({ keepAliveTimeout: 60_000 }, setup.listener);
      server.listen(setup.port ?? 0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        process.on('message', (command: Command) => {
          if (command.type === 'heap' || command.type === 'stats') {
            const answer =
              command.type === 'heap'
                ? Promise.resolve(heap(command.action))
                : (setup.stats?.() ?? Promise.resolve({ counters: {}, pids: [] }));
            answer.then(
              (value) => send({ type: 'answer', id: command.id, value }),
              (cause: unknown) => send({ type: 'failed', id: command.id, reason: describe(cause) }),
            );
            return;
          }
          if (command.type === 'profile') {
            profile(command.action, command.file).then(
              () => send({ type: 'profiled', id: command.id }),
              (cause: unknown) => send({ type: 'failed', id: command.id, reason: describe(cause) }),
            );
            return;
          }
          if (!(setup.works ?? defaultWorks).includes(command.work)) {
            send({ type: 'failed', id: command.id, reason: `this target cannot do ${command.work}` });
            return;
          }
          setup.mint(command.work, command.count).then(
            (items) => send({ type: 'minted', id: command.id, items }),
            (cause: unknown) => send({ type: 'failed', id: command.id, reason: describe(cause) }),
          );
        });
        send({
          type: 'ready',
          port,
          path: setup.path,
          clientId: client.id,
          clientSecret: setup.clientSecret ?? client.secret,
          redirectUri: client.redirectUri,
          node: process.version,
          ...(setup.storePids === undefined ? {} : { storePids: setup.storePids }),
        });
      });
    },
    (cause: unknown) => {
      if (cause instanceof Unavailable) send({ type: 'unavailable', reason: cause.message });
      else send({ type: 'failed', reason: describe(cause) });
      setTimeout(() => process.exit(cause instanceof Unavailable ? 0 : 1), 50);
    },
  );
}

let watching: { readonly profiler: GCProfiler; readonly usedAtStart: number } | undefined;

/**
 * Bytes allocated and garbage collected over a window. V8 has no running
 * total of allocations, but every collection reports the used heap before
 * and after it: what it freed, plus how much the used heap grew from start
 * to end, is what was allocated (on the V8 heap: not `Buffer` contents).
 */
function heap(action: 'start' | 'stop'): WindowStats | undefined {
  if (action === 'start') {
    const profiler = new GCProfiler();
    profiler.start();
    watching = { profiler, usedAtStart: getHeapStatistics().used_heap_size };
    return undefined;
  }
  if (watching === undefined) throw new Error('the heap was not being watched');
  const { profiler, usedAtStart } = watching;
  watching = undefined;
  const usedAtEnd = getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  let freed = 0;
  let gcMicros = 0;
  for (const gc of statistics) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    gcMicros += gc.cost;
  }
  return { allocatedBytes: freed + usedAtEnd - usedAtStart, gcCount: statistics.length, gcMicros };
}

let session: Session | undefined;

/**
 * The V8 CPU profiler over the inspector protocol: only the measured window,
 * main thread only, sampling every `intervalUs` µs. `stop` writes the
 * profile to `file` and returns it.
 */
export async function profile(
  action: 'start' | 'stop',
  file: string,
  intervalUs = 100,
): Promise<CpuProfile | undefined> {
  if (action === 'start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    return undefined;
  }
  if (session === undefined) throw new Error('the profiler was not started');
  const { profile: result } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(result));
  session.disconnect();
  session = undefined;
  return result as unknown as CpuProfile;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}

/** Runs `count` async jobs with at most `width` in flight; results in order. */
export async function parallel<T>(
  count: number,
  width: number,
  job: (index: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
  return out;
}

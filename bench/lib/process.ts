import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { delimiter, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Endpoint, Message, Runtime, StoreStats, WindowStats, Work } from './protocol.ts';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * The machine's own Node: the first `node` on `PATH` outside any
 * `node_modules` folder. `pnpm` scripts put `bench/node_modules/.bin` first
 * on `PATH`, and the `node` devDependency (Node 22) links a `node` there.
 */
export function hostNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.split(sep).includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return process.execPath;
}

/** The Node 22 binary of the `node` npm package (a devDependency of the benchmark). */
export function node22(): string {
  const pkg = createRequire(`${benchDir}package.json`).resolve('node/package.json');
  return join(dirname(pkg), 'bin', 'node');
}

/** The binary a target of `runtime` runs on: the runner's own Node by default. */
export function nodeFor(runtime: Runtime | undefined): string {
  return runtime === '22' ? node22() : process.execPath;
}

/**
 * Re-runs this script on the machine's Node when it was started on the
 * packaged Node 22 (as `pnpm bench` does, see {@link hostNode}), so the
 * runner, the load generator and the default targets stay on the host's Node.
 * Returns only when already there; otherwise exits with the re-run's status.
 */
export function stayOnHostNode(): void {
  const host = hostNode();
  if (realpathSync(host) === realpathSync(process.execPath)) return;
  const run = spawnSync(host, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Server on core 0, load generator on core 1, when the machine has both and `taskset`. */
export const pinning = availableParallelism() >= 2 && hasTaskset();

/** Pins this process (every thread) to `core`. */
export function pinSelf(core: number): void {
  if (pinning) execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
}

/**
 * Spawns `node [flags] --import tsx file`, on core 0 when pinning, with an
 * IPC channel; on the runner's Node, or on Node 22 for `runtime: '22'`.
 */
export function spawnNode(
  file: string,
  options: {
    flags?: readonly string[];
    env?: Record<string, string>;
    args?: readonly string[];
    runtime?: Runtime;
  } = {},
): ChildProcess {
  const node = [...(options.flags ?? []), '--import', 'tsx', file, ...(options.args ?? [])];
  const binary = nodeFor(options.runtime);
  const [command, args] = pinning ? ['taskset', ['-c', '0', binary, ...node]] : [binary, node];
  return spawn(command as string, args as string[], {
    cwd: benchDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...process.env,
      // Measure what users get: the built packages, not the sources.
      TSX_TSCONFIG_PATH: `${benchDir}tsconfig.run.json`,
      NODE_ENV: 'production',
      ...options.env,
    },
  });
}

/**
 * A `stat` file of /proc (`/proc/<pid>/stat`, `/proc/<pid>/task/<tid>/stat`,
 * `/proc/thread-self/stat`) as its fields from the third on (after the
 * name, which may hold spaces): field N of `man proc` is at index N - 3.
 * Throws where there is no such file.
 */
export function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of stat fields (fields 14 and 15, utime and stime, in 1/100 s). */
export function statCpuSeconds(fields: readonly string[]): number {
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU time (user + system) of a process in seconds, from /proc; undefined where there is none. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    return statCpuSeconds(statFields(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, seconds) of a process's main thread (the task
 * whose id is the pid: the event loop) and of all its other threads
 * together (V8's background threads doing concurrent marking, sweeping and
 * compiling; libuv's pool), from /proc/<pid>/task; zeros where there is none.
 */
export function threadCpuSeconds(pid: number): { readonly main: number; readonly other: number } {
  let main = 0;
  let other = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const seconds = statCpuSeconds(statFields(`/proc/${pid}/task/${tid}/stat`));
        if (Number(tid) === pid) main += seconds;
        else other += seconds;
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // No /proc.
  }
  return { main, other };
}

/** A running target process. */
export interface TargetProcess {
  readonly endpoint: Endpoint;
  readonly pid: number;
  /** The Node version the target runs on (`process.version` in it). */
  readonly node: string;
  /** Processes of the target's own store (its private `redis-server`), whose CPU the runner samples too. */
  readonly storePids: readonly number[];
  mint(work: Work, count: number): Promise<string[]>;
  /** Starts the CPU profiler, or stops it and writes `file`. */
  profile(action: 'start' | 'stop', file: string): Promise<void>;
  /**
   * Starts watching the heap (`v8.GCProfiler`) for a measured window, or
   * stops and returns what was allocated and collected since the start.
   */
  heap(action: 'start'): Promise<undefined>;
  heap(action: 'stop'): Promise<WindowStats>;
  /** The store's counters now (round trips, statements) and the pids of its processes. */
  stats(): Promise<StoreStats>;
  stop(): Promise<void>;
}

export type StartResult =
  | { readonly kind: 'ready'; readonly target: TargetProcess }
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** Starts a target file and waits until it listens (or says why it cannot). */
export function startTarget(
  file: string,
  env: Record<string, string> = {},
  flags: readonly string[] = [],
  runtime?: Runtime,
): Promise<StartResult> {
  const child = spawnNode(file, { env, flags, ...(runtime === undefined ? {} : { runtime }) });
  // A target's own chatter (startup warnings) is shown with BENCH_VERBOSE=1, and its tail on failure.
  let tail = '';
  const keep = (chunk: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
    tail = (tail + chunk.toString()).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const call = (command: Command) =>
    new Promise<unknown>((resolveCall, reject) => {
      if (exited) return reject(new Error('target has exited'));
      pending.set(command.id, { resolve: resolveCall, reject });
      child.send(command);
    });
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<StartResult>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ kind: 'failed', reason: 'did not start within 60 s' });
    }, 60_000);
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      for (const { reject } of pending.values()) reject(new Error(`target exited (${code ?? signal})`));
      pending.clear();
      resolve({ kind: 'failed', reason: `exited before it was ready (${code ?? signal}): ${tail.trim()}` });
    });
    child.on('message', (message: Message) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        const { type: _, node, storePids, ...endpoint } = message;
        const heap = (action: 'start' | 'stop') => call({ type: 'heap', id: nextId++, action });
        resolve({
          kind: 'ready',
          target: {
            endpoint,
            pid: child.pid as number,
            node: node ?? '?',
            storePids: storePids ?? [],
            mint: async (work, count) =>
              (await call({ type: 'mint', id: nextId++, work, count })) as string[],
            profile: async (action, file) => {
              await call({ type: 'profile', id: nextId++, action, file });
            },
            heap: heap as TargetProcess['heap'],
            stats: async () => (await call({ type: 'stats', id: nextId++ })) as StoreStats,
            async stop() {
              if (!exited) {
                child.kill('SIGTERM');
                const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
                await exit;
                clearTimeout(timeout);
              }
            },
          },
        });
      } else if (message.type === 'minted' || message.type === 'profiled' || message.type === 'answer') {
        pending
          .get(message.id)
          ?.resolve(
            message.type === 'minted' ? [...message.items] : message.type === 'answer' ? message.value : [],
          );
        pending.delete(message.id);
      } else if (message.type === 'unavailable') {
        clearTimeout(timer);
        resolve({ kind: 'unavailable', reason: message.reason });
      } else if (message.type === 'failed') {
        if (message.id === undefined) {
          clearTimeout(timer);
          resolve({ kind: 'failed', reason: message.reason });
        } else {
          pending.get(message.id)?.reject(new Error(message.reason));
          pending.delete(message.id);
        }
      }
    });
  });
}

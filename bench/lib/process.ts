import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command, Endpoint, Message, Work } from './protocol.ts';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));

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

/** Spawns `node [flags] --import tsx file`, on core 0 when pinning, with an IPC channel. */
export function spawnNode(
  file: string,
  options: { flags?: readonly string[]; env?: Record<string, string>; args?: readonly string[] } = {},
): ChildProcess {
  const node = [...(options.flags ?? []), '--import', 'tsx', file, ...(options.args ?? [])];
  const [command, args] = pinning
    ? ['taskset', ['-c', '0', process.execPath, ...node]]
    : [process.execPath, node];
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

/** CPU time (user + system) of a process in seconds, from /proc; undefined where there is none. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime), counted from 1; we dropped the first two.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** A running target process. */
export interface TargetProcess {
  readonly endpoint: Endpoint;
  readonly pid: number;
  mint(work: Work, count: number): Promise<string[]>;
  /** Starts the CPU profiler, or stops it and writes `file`. */
  profile(action: 'start' | 'stop', file: string): Promise<void>;
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
): Promise<StartResult> {
  const child = spawnNode(file, { env, flags });
  // A target's own chatter (startup warnings) is shown with BENCH_VERBOSE=1, and its tail on failure.
  let tail = '';
  const keep = (chunk: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
    tail = (tail + chunk.toString()).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pending = new Map<number, { resolve: (items: string[]) => void; reject: (error: Error) => void }>();
  const call = (command: Command) =>
    new Promise<string[]>((resolveCall, reject) => {
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
        const { type: _, ...endpoint } = message;
        resolve({
          kind: 'ready',
          target: {
            endpoint,
            pid: child.pid as number,
            mint: (work, count) => call({ type: 'mint', id: nextId++, work, count }),
            profile: async (action, file) => {
              await call({ type: 'profile', id: nextId++, action, file });
            },
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
      } else if (message.type === 'minted' || message.type === 'profiled') {
        pending.get(message.id)?.resolve(message.type === 'minted' ? [...message.items] : []);
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

/**
 * The parent side of `api.ts` and `tail.ts`: starting an API target as a
 * child process (pinned to core 0), one load window with `autocannon`
 * (pinned to core 1) that times every request itself, the server's CPU
 * time from /proc (`lib/process.ts`'s, as the token endpoint benchmark reads
 * it), the machine, and small statistics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import autocannon from 'autocannon';
import { benchDir, cpuSeconds, pinning } from '../lib/process.ts';
import type { ApiCommand, ApiMessage } from './api-common.ts';

/** A running API target. */
export interface ApiTarget {
  readonly port: number;
  readonly pid: number;
  readonly info: Readonly<Record<string, unknown>>;
  /** Sends a command over IPC and waits for its answer. */
  call<T>(type: string, fields?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts `targets/<file>` as `node [flags] --import tsx`, on core 0 when
 * pinning, with the built packages (`tsconfig.run.json`: what users get)
 * and `NODE_ENV=production`, and waits until it listens.
 */
export function startApiTarget(
  file: string,
  env: Record<string, string> = {},
  flags: readonly string[] = [],
): Promise<ApiTarget> {
  const node = [...flags, '--import', 'tsx', `targets/${file}`];
  const [command, args] = pinning
    ? ['taskset', ['-c', '0', process.execPath, ...node]]
    : [process.execPath, node];
  const child: ChildProcess = spawn(command as string, args as string[], {
    cwd: benchDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: `${benchDir}tsconfig.run.json`,
      NODE_ENV: 'production',
      ...env,
    },
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
    tail = (tail + chunk.toString()).slice(-3000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not start within 60 s: ${tail}`));
    }, 60_000);
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      for (const { reject: fail } of pending.values())
        fail(new Error(`${file} exited (${code ?? signal}): ${tail}`));
      pending.clear();
      reject(new Error(`${file} exited (${code ?? signal}): ${tail}`));
    });
    child.on('message', (message: ApiMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        const { type: _, port, ...info } = message;
        resolve({
          port,
          pid: child.pid as number,
          info,
          call<T>(type: string, fields: Record<string, unknown> = {}) {
            return new Promise<T>((done, fail) => {
              if (exited) return fail(new Error(`${file} has exited`));
              const id = nextId++;
              pending.set(id, { resolve: done as (value: unknown) => void, reject: fail });
              child.send({ ...fields, id, type } satisfies ApiCommand);
            });
          },
          async stop() {
            if (exited) return;
            child.kill('SIGTERM');
            const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
            await exit;
            clearTimeout(timeout);
          },
        });
      } else if (message.type === 'done') {
        pending.get(message.id)?.resolve(message.value);
        pending.delete(message.id);
      } else if (message.id === undefined) {
        clearTimeout(timer);
        reject(new Error(`${file} failed: ${message.reason}`));
      } else {
        pending.get(message.id)?.reject(new Error(message.reason));
        pending.delete(message.id);
      }
    });
  });
}

/** One request of a window: built before the window, so the generator's work is the same for every target. */
export interface PlannedRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Options of {@link loadWindow}. */
export interface WindowOptions {
  readonly port: number;
  /** The server's pid, for its CPU time. */
  readonly pid: number;
  readonly connections: number;
  /** Seconds of load before the timed window (same connections, no gap). */
  readonly warmup: number;
  /** Seconds of the timed window. */
  readonly duration: number;
  /** The requests, in order. */
  readonly requests: readonly PlannedRequest[];
  /**
   * Cycle through `requests` (read paths: a token may be checked many
   * times). Otherwise each is sent once and the window ends early when
   * they run out (a code is good once).
   */
  readonly cycle: boolean;
  /** Whether a response is a success (status and body checked). */
  success(status: number, body: string): boolean;
  /** Called as the timed window starts (after the warm-up), e.g. to start the server's monitors. */
  onStart?(): void | Promise<void>;
  /** Called as the timed window ends. */
  onEnd?(): void | Promise<void>;
}

/** What one timed window measured. */
export interface WindowResult {
  /** Successful responses completed within the window. */
  readonly ok: number;
  /** Every response completed within the window. */
  readonly responses: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  /** Successful responses per second. */
  readonly rps: number;
  /** Latency of the window's responses (ms, timed per request with `performance.now`). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Server CPU µs per successful response (user + system, every thread); undefined without /proc. */
  readonly cpuUsPerOk: number | undefined;
  /** Server CPU use over the window (1 = one core busy). */
  readonly serverCpu: number | undefined;
  /** The requests ran out before the window ended (it was cut short). */
  readonly exhausted: boolean;
  readonly firstFailure?: { readonly status: number; readonly body: string };
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** CPU µs per successful response, to 0.1 µs: `cpuSeconds` of CPU time over `ok` successes. */
export function cpuUsPerOk(cpuSeconds: number | undefined, ok: number): number | undefined {
  return cpuSeconds === undefined || ok === 0 ? undefined : Math.round((cpuSeconds * 1e7) / ok) / 10;
}

/** A window's result from its counts, its latencies (sorted here) and its server CPU seconds. */
function windowResult(
  counts: Pick<WindowResult, 'ok' | 'responses' | 'errors' | 'timeouts' | 'exhausted'> & {
    readonly firstFailure: WindowResult['firstFailure'] | undefined;
  },
  seconds: number,
  latencies: number[],
  cpu: number | undefined,
): WindowResult {
  latencies.sort((a, b) => a - b);
  const { firstFailure, ...rest } = counts;
  return {
    ...rest,
    seconds: round3(seconds),
    rps: Math.round(counts.ok / seconds),
    p50: round3(quantile(latencies, 0.5)),
    p99: round3(quantile(latencies, 0.99)),
    max: round3(latencies.at(-1) ?? 0),
    cpuUsPerOk: cpuUsPerOk(cpu, counts.ok),
    serverCpu: cpu === undefined ? undefined : round3(cpu / seconds),
    ...(firstFailure === undefined ? {} : { firstFailure }),
  };
}

/** The `q` quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/**
 * One load run: keep-alive HTTP/1.1, `connections` connections with one
 * request in flight on each (autocannon), first `warmup` seconds, then the
 * timed window. Only responses completed inside the window count; their
 * latency is timed here per request (autocannon's histogram has 1 ms
 * resolution), and the server's CPU time is read from /proc at both ends.
 */
export function loadWindow(options: WindowOptions): Promise<WindowResult> {
  const { requests } = options;
  if (requests.length === 0) return Promise.reject(new Error('no requests'));
  let next = 0;
  let exhausted = false;
  let counting = false;
  let ok = 0;
  let responses = 0;
  let firstFailure: { status: number; body: string } | undefined;
  const latencies: number[] = [];
  let windowStart = 0;
  let windowEnd = 0;
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  let instance: autocannon.Instance | undefined;
  const template = requests[0] as PlannedRequest;
  const finish = () => {
    if (!counting) return;
    counting = false;
    windowEnd = performance.now();
    cpuEnd = cpuSeconds(options.pid);
    setImmediate(() => instance?.stop());
  };

  return new Promise((resolve, reject) => {
    const begin = async () => {
      await options.onStart?.();
      windowStart = performance.now();
      cpuStart = cpuSeconds(options.pid);
      counting = !exhausted;
      setTimeout(async () => {
        finish();
        await options.onEnd?.();
      }, options.duration * 1000);
    };
    const warmupTimer = setTimeout(() => void begin(), options.warmup * 1000);
    instance = autocannon(
      {
        url: `http://127.0.0.1:${options.port}`,
        connections: options.connections,
        pipelining: 1,
        // Stopped by the window's timer; this is only a backstop.
        duration: options.warmup + options.duration + 30,
        timeout: 10,
        requests: [
          {
            method: template.method,
            path: template.path,
            setupRequest(request, context) {
              let planned = requests[options.cycle ? next++ % requests.length : next++];
              if (planned === undefined) {
                // Out of single-use requests: stop, and send a spent one that is not counted.
                if (!exhausted) {
                  exhausted = true;
                  if (counting) finish();
                  else {
                    clearTimeout(warmupTimer);
                    setImmediate(() => instance?.stop());
                  }
                }
                planned = template;
              }
              (context as { sentAt?: number }).sentAt = performance.now();
              return {
                ...request,
                method: planned.method,
                path: planned.path,
                headers: planned.headers,
                ...(planned.body === undefined ? {} : { body: planned.body }),
              };
            },
            onResponse(status, body, context) {
              if (!counting) return;
              const now = performance.now();
              responses++;
              latencies.push(now - ((context as { sentAt?: number }).sentAt ?? now));
              if (options.success(status, body)) ok++;
              else if (firstFailure === undefined) firstFailure = { status, body: body.slice(0, 300) };
            },
          },
        ],
      },
      (error, result) => {
        clearTimeout(warmupTimer);
        if (error) return reject(error);
        if (windowStart === 0)
          return reject(new Error('the requests ran out before the timed window started'));
        if (counting) finish();
        const cpu = cpuStart === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpuStart;
        resolve(
          windowResult(
            {
              ok,
              responses,
              errors: result.errors,
              timeouts: result.timeouts,
              exhausted,
              firstFailure,
            },
            (windowEnd - windowStart) / 1000,
            latencies,
            cpu,
          ),
        );
      },
    );
  });
}

/**
 * One paced run: requests sent at a fixed `rate` a second whatever the
 * server's answers (open loop: a slow answer does not hold the next request
 * back), over keep-alive HTTP/1.1 with at most `connections` sockets
 * (requests beyond wait for a free one). Latency counts from when a request
 * was due, not when a socket took it, so time spent queued behind a stalled
 * server is in it (no coordinated omission). First `warmup` seconds, then
 * the timed window; responses to requests due inside it count.
 */
export function paceWindow(options: WindowOptions & { readonly rate: number }): Promise<WindowResult> {
  const { requests, rate } = options;
  if (requests.length === 0) return Promise.reject(new Error('no requests'));
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  let next = 0;
  let exhausted = false;
  let ok = 0;
  let responses = 0;
  let errors = 0;
  let inFlight = 0;
  let firstFailure: { status: number; body: string } | undefined;
  const latencies: number[] = [];
  const started = performance.now();
  const windowStart = started + options.warmup * 1000;
  const windowEnd = windowStart + options.duration * 1000;
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  let sentUntil = started;
  let lastDueInWindow = windowStart;

  return new Promise((resolve, reject) => {
    let stage: 'warmup' | 'window' | 'draining' = 'warmup';
    const send = (due: number) => {
      const planned = requests[options.cycle ? next++ % requests.length : next++];
      if (planned === undefined) {
        exhausted = true;
        return;
      }
      const counted = due >= windowStart && due < windowEnd;
      if (counted) lastDueInWindow = due;
      inFlight++;
      const req = httpRequest(
        {
          agent,
          host: '127.0.0.1',
          port: options.port,
          method: planned.method,
          path: planned.path,
          headers: planned.headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            inFlight--;
            if (!counted) return;
            responses++;
            latencies.push(performance.now() - due);
            const body = Buffer.concat(chunks).toString();
            const status = res.statusCode ?? 0;
            if (options.success(status, body)) ok++;
            else if (firstFailure === undefined) firstFailure = { status, body: body.slice(0, 300) };
          });
        },
      );
      req.on('error', () => {
        inFlight--;
        if (counted) errors++;
      });
      req.end(planned.body);
    };
    const tick = setInterval(() => {
      const now = performance.now();
      if (stage === 'warmup' && now >= windowStart) {
        stage = 'window';
        void Promise.resolve(options.onStart?.()).catch(reject);
        cpuStart = cpuSeconds(options.pid);
      }
      if (stage !== 'draining') {
        const until = Math.min(now, windowEnd);
        // Every request due by now, each at its own due time.
        while (!exhausted && sentUntil + 1000 / rate <= until) {
          sentUntil += 1000 / rate;
          send(sentUntil);
        }
        if (now >= windowEnd || exhausted) {
          stage = 'draining';
          cpuEnd = cpuSeconds(options.pid);
          void Promise.resolve(options.onEnd?.()).catch(reject);
        }
        return;
      }
      if (inFlight > 0 && now < windowEnd + 30_000) return;
      clearInterval(tick);
      agent.destroy();
      if (cpuStart === undefined)
        return reject(new Error('the requests ran out before the timed window started'));
      const cpu = cpuEnd === undefined ? undefined : cpuEnd - cpuStart;
      resolve(
        windowResult(
          { ok, responses, errors, timeouts: inFlight, exhausted, firstFailure },
          ((exhausted ? lastDueInWindow : windowEnd) - windowStart) / 1000,
          latencies,
          cpu,
        ),
      );
    }, 1);
  });
}

/** Median, min and max of some figures (undefined ones left out). */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const sorted = values
    .filter((v): v is number => v !== undefined && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number };
}

/** `median (min–max)` for a Markdown cell. */
export function cell(s: Spread | undefined, digits = 0): string {
  if (s === undefined) return 'n/a';
  const f = (v: number) =>
    v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** The machine a run was on. */
export function machine(): Record<string, unknown> {
  const list = cpus();
  return {
    node: process.version,
    cpus: list.length,
    cpuModel: list[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    pinning,
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** `--name=value` options of a script. */
export function argsOf(argv: readonly string[]): Map<string, string> {
  return new Map(
    argv.map((arg) => {
      const [name, ...value] = arg.replace(/^--/, '').split('=');
      return [name ?? '', value.join('=')];
    }),
  );
}

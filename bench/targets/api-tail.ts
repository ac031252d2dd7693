/**
 * The tail-latency target of `tail.ts`: Kraikub's token endpoint
 * (core + `MemoryGrantStore` + `createHandler` via `toNodeHandler`) over a
 * store filled with a million records, on a clock the parent can move, so
 * a sweep of the store starts exactly when a measured window starts.
 *
 * Commands (IPC): `fill` the store through its own `issueTokens` (as
 * `sweep.ts` does: an access and a refresh token per grant, half of the
 * grants expiring three minutes after the store was made); `mint` codes
 * through `approve`; `start` a window (the event loop delay histogram,
 * garbage collections, the store's size; with `sweep`, jump the clock past
 * that expiry so the store drops that half; with `profile`, the V8 CPU profiler), `stop` it and report. Run
 * with `--expose-gc`.
 *
 * Every call into the store is timed (`performance.now()` before and after
 * the call: a memory store's operation, its sweep slice included, runs
 * whole before the call returns its promise), and each call longer than
 * 1 ms is reported with whether a garbage collection ran inside it: the
 * issue's bound is on what the store holds the event loop for, and a loop
 * delay under saturating load also counts the queue of requests one loop
 * turn serves.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createHandler, createInteractions } from '@kraikub/adapter-http';
import { nodeCrypto, toNodeHandler } from '@kraikub/adapter-http/node';
import { MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import type { GrantStore, TokenIssue } from '@kraikub/core';
import { summarise } from '../lib/cpu-profile.ts';
import { benchDir, statCpuSeconds, statFields, threadCpuSeconds } from '../lib/process.ts';
import { profile } from '../lib/target.ts';
import { apiServer, mintCodes, serveApiTarget } from './api-common.ts';

/** The store's methods, each timed when called. */
const storeMethods = [
  'saveCode',
  'findCode',
  'consumeCode',
  'issueTokens',
  'findAccessToken',
  'findRefreshToken',
  'rotateRefreshToken',
  'revokeAccessToken',
  'revokeGrant',
] as const satisfies readonly (keyof GrantStore)[];

/** A store call that took longer than 1 ms. */
interface SlowCall {
  readonly method: string;
  /** `performance.now()` when it began. */
  readonly at: number;
  readonly ms: number;
  /** With `TAIL_CALL_CPU=1`: the process's CPU time, page faults and preemptions over the call. */
  readonly userMs?: number;
  readonly systemMs?: number;
  readonly minorFaults?: number;
  readonly majorFaults?: number;
  readonly involuntarySwitches?: number;
  /** The main thread's own time on the CPU, and its time runnable but waiting for it (preempted), from schedstat. */
  readonly mainCpuMs?: number;
  readonly mainWaitMs?: number;
}

/** The main thread's scheduler statistics (ns on the CPU, ns waiting to run), from /proc/thread-self/schedstat. */
function mainThreadSched(): { readonly cpuNs: number; readonly waitNs: number } | undefined {
  try {
    const [cpuNs, waitNs] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return { cpuNs: cpuNs as number, waitNs: waitNs as number };
  } catch {
    return undefined;
  }
}

/**
 * `TAIL_CALL_CPU=1`: read the process's resource usage and the main
 * thread's scheduler statistics around every store call (a few system
 * calls each: a diagnostic, not for the figures), to tell a slow call's own
 * work from page faults and from the thread waiting for the CPU.
 */
const callCpu = process.env.TAIL_CALL_CPU === '1';

/** The store's expiry buckets (its default): an expired record is dropped at most this long after it expires. */
const sweepIntervalMs = 30_000;
/** When the short-lived half of the fill expires, after the store's creation: after window (a) has run. */
const shortLife = 180_000;
/** Codes live 10 minutes (the longest RFC 6749 allows), so the clock's jump does not expire them. */
const codeTtlSeconds = 600;

/**
 * `TAIL_WORKERS_CORE=N` (tail.ts's `--workers-core=N`): move every thread
 * but the main one (V8's background threads, libuv's pool) to core N once
 * the server is up, so they no longer share the main thread's core: a
 * diagnostic of what preempts the event loop, not a setting for the figures.
 */
const workersCore = process.env.TAIL_WORKERS_CORE;

/** Moves every thread of this process but the main one to `core`; how many moved. */
function moveWorkerThreads(core: string): number {
  let moved = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) continue;
    if (spawnSync('taskset', ['-cp', core, tid], { stdio: 'ignore' }).status === 0) moved++;
  }
  return moved;
}

/** Jiffies (1/100 s) of one core, from /proc/stat: busy in all (every kind but idle and iowait), softirq, steal. */
function coreTicks(core: number): {
  readonly busy: number;
  readonly softirq: number;
  readonly steal: number;
} {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${core} `));
    const [user, nice, system, , , irq, softirq, steal] = (line ?? '').split(/\s+/).slice(1).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
    return { busy, softirq: softirq ?? 0, steal: steal ?? 0 };
  } catch {
    return { busy: 0, softirq: 0, steal: 0 };
  }
}

/** The core the main thread last ran on (field 39 of /proc/thread-self/stat). */
function currentCore(): number {
  try {
    return Number(statFields('/proc/thread-self/stat')[36]);
  } catch {
    return 0;
  }
}

serveApiTarget(async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  // `TAIL_SWEEP_SLICE` (from tail.ts's --sweep-slice): the store's slice; unset, its default.
  const slice = process.env.TAIL_SWEEP_SLICE;
  const store = new MemoryGrantStore({
    clock,
    sweepIntervalMs,
    ...(slice === undefined ? {} : { sweepSlice: Number(slice) }),
  });
  const created = clock.now();
  // The short-lived half expires well after window (a), whose clock is the real one; its buckets are
  // all due once the clock is `sweepIntervalMs` past that.
  const shortExpiry = created + shortLife;
  const sweepDue = shortExpiry + sweepIntervalMs;
  /** The timing of the window under way (undefined outside a window). */
  let calls: { count: number; totalMs: number; maxMs: number; slow: SlowCall[] } | undefined;
  const timed = Object.fromEntries(
    storeMethods.map((method) => [
      method,
      (...args: unknown[]) => {
        const cpu = callCpu ? process.resourceUsage() : undefined;
        const sched = callCpu ? mainThreadSched() : undefined;
        const at = performance.now();
        const result = (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
        if (calls !== undefined) {
          const ms = performance.now() - at;
          calls.count++;
          calls.totalMs += ms;
          if (ms > calls.maxMs) calls.maxMs = ms;
          if (ms > 1 && calls.slow.length < 10_000) {
            const after = cpu === undefined ? undefined : process.resourceUsage();
            const schedAfter = sched === undefined ? undefined : mainThreadSched();
            calls.slow.push({
              method,
              at,
              ms,
              ...(cpu === undefined || after === undefined
                ? {}
                : {
                    userMs: (after.userCPUTime - cpu.userCPUTime) / 1000,
                    systemMs: (after.systemCPUTime - cpu.systemCPUTime) / 1000,
                    minorFaults: after.minorPageFault - cpu.minorPageFault,
                    majorFaults: after.majorPageFault - cpu.majorPageFault,
                    involuntarySwitches: after.involuntaryContextSwitches - cpu.involuntaryContextSwitches,
                  }),
              ...(sched === undefined || schedAfter === undefined
                ? {}
                : {
                    mainCpuMs: (schedAfter.cpuNs - sched.cpuNs) / 1e6,
                    mainWaitMs: (schedAfter.waitNs - sched.waitNs) / 1e6,
                  }),
            });
          }
        }
        return result;
      },
    ]),
  ) as unknown as GrantStore;
  const { server, request } = await apiServer({
    store: timed,
    crypto: nodeCrypto,
    format: 'opaque',
    clock,
    codeTtl: codeTtlSeconds,
  });
  const handler = createHandler(server, {
    interactions: createInteractions(server, { store: new MemoryInteractionStore() }),
    interact: () => new Response('not used by the benchmark', { status: 501 }),
  });

  const issue = (i: number, now: number): TokenIssue => {
    const grantId = `fill-${i.toString(36).padStart(8, '0')}`;
    const expiresAt = i % 2 === 0 ? shortExpiry : now + 86_400_000;
    const record = { grantId, clientId: 'bench-client', scopes: ['api'], issuedAt: now, expiresAt };
    return {
      grantId,
      accessToken: { key: { hash: `a${i.toString(36).padStart(42, '0')}`, grantId }, record },
      refreshToken: {
        key: { hash: `r${i.toString(36).padStart(42, '0')}`, grantId },
        record: { ...record, subject: 'user-1' },
      },
    };
  };

  let current:
    | {
        readonly loop: ReturnType<typeof monitorEventLoopDelay>;
        readonly observer: PerformanceObserver;
        /** Each collection: when it began (`performance.now()` time) and how long it took. */
        readonly gcs: { readonly at: number; readonly ms: number }[];
        /** The raw profile's file, when the window is profiled. */
        readonly profileFile: string | undefined;
        readonly threadsAtStart: { readonly main: number; readonly other: number };
        /** The server's core (pinned: the main thread's) and its counters at the start. */
        readonly core: number;
        readonly coreAtStart: ReturnType<typeof coreTicks>;
        readonly poll: NodeJS.Timeout;
        readonly startedAt: number;
        readonly sizeBefore: number;
        minSize: number;
        minAt: number;
      }
    | undefined;

  const commands = async (command: { type: string; [field: string]: unknown }): Promise<unknown> => {
    switch (command.type) {
      case 'fill': {
        const grants = Number(command.grants);
        gc();
        const heapBefore = process.memoryUsage().heapUsed;
        const started = performance.now();
        const now = clock.now();
        for (let i = 0; i < grants; i++) await store.issueTokens(issue(i, now));
        const fillSeconds = (performance.now() - started) / 1000;
        gc();
        const heapAfter = process.memoryUsage().heapUsed;
        return {
          records: store.size,
          bytesPerGrant: Math.round((heapAfter - heapBefore) / grants),
          heapUsedMB: Math.round(heapAfter / 2 ** 20),
          fillSeconds: Math.round(fillSeconds * 10) / 10,
        };
      }
      case 'mint':
        return mintCodes(server, request, Number(command.count));
      case 'start': {
        if (workersCore !== undefined && moveWorkerThreads(workersCore) === 0)
          throw new Error('TAIL_WORKERS_CORE: no thread could be moved');
        const loop = monitorEventLoopDelay({ resolution: 1 });
        const gcs: { at: number; ms: number }[] = [];
        const observer = new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) gcs.push({ at: entry.startTime, ms: entry.duration });
        });
        observer.observe({ entryTypes: ['gc'] });
        const label = typeof command.label === 'string' ? command.label : 'window';
        const profileFile = command.profile === true ? `${benchDir}tmp/tail-${label}.cpuprofile` : undefined;
        if (profileFile !== undefined) await profile('start', profileFile, 250);
        if (command.sweep === true) {
          // Past the due sweep: the next write starts it, a slice per write from then on.
          clock.offset = sweepDue + 1 - Date.now();
        }
        const sizeBefore = store.size;
        const startedAt = performance.now();
        const core = currentCore();
        // The sweep is done when the store is smallest: deletions stop, each exchange adds two records.
        const poll = setInterval(() => {
          if (current === undefined) return;
          const size = store.size;
          if (size < current.minSize) {
            current.minSize = size;
            current.minAt = performance.now() - current.startedAt;
          }
        }, 5);
        current = {
          threadsAtStart: threadCpuSeconds(process.pid),
          core,
          coreAtStart: coreTicks(core),
          loop,
          observer,
          gcs,
          profileFile,
          poll,
          startedAt,
          sizeBefore,
          minSize: sizeBefore,
          minAt: 0,
        };
        calls = { count: 0, totalMs: 0, maxMs: 0, slow: [] };
        loop.enable();
        return { sizeBefore, clock: clock.now() };
      }
      case 'stop': {
        if (current === undefined) throw new Error('no window started');
        const w = current;
        w.loop.disable();
        clearInterval(w.poll);
        const threadsAtEnd = threadCpuSeconds(process.pid);
        const coreAtEnd = coreTicks(w.core);
        const timing = calls as NonNullable<typeof calls>;
        calls = undefined;
        let summary: string | undefined;
        const taken = w.profileFile === undefined ? undefined : await profile('stop', w.profileFile);
        if (taken !== undefined && w.profileFile !== undefined)
          summary = `${summarise(taken)}\n(raw profile: ${w.profileFile.replace(benchDir, 'bench/')})\n`;
        // Let the observer deliver the last collections.
        await new Promise((resolve) => setTimeout(resolve, 20));
        w.observer.disconnect();
        current = undefined;
        const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
        const sizeAfter = store.size;
        const round = (value: number) => Math.round(value * 1000) / 1000;
        // A call "had a GC" when a collection began inside it.
        const hadGc = (call: SlowCall) => w.gcs.some((gc) => gc.at >= call.at && gc.at < call.at + call.ms);
        const withoutGc = timing.slow.filter((call) => !hadGc(call));
        const longestWithoutGc = withoutGc.reduce((longest, call) => Math.max(longest, call.ms), 0);
        return {
          loopMaxMs: ms(w.loop.max),
          loopP99Ms: ms(w.loop.percentile(99)),
          loopP50Ms: ms(w.loop.percentile(50)),
          loopMeanMs: ms(w.loop.mean),
          /** How many delays the histogram recorded (about one per loop turn, at most one a millisecond). */
          loopSamples: w.loop.count,
          gcCount: w.gcs.length,
          gcMaxMs: Math.round(Math.max(0, ...w.gcs.map((gc) => gc.ms)) * 100) / 100,
          gcTotalMs: Math.round(w.gcs.reduce((sum, gc) => sum + gc.ms, 0) * 10) / 10,
          storeCalls: timing.count,
          storeMeanUs: timing.count === 0 ? 0 : Math.round((timing.totalMs / timing.count) * 1e4) / 10,
          storeMaxMs: round(timing.maxMs),
          /** Calls over 1 ms, and those of them with no collection beginning inside. */
          storeSlow: timing.slow.length,
          storeSlowWithoutGc: withoutGc.length,
          /** The longest call over 1 ms in which no collection began (0: none). */
          storeMaxWithoutGcMs: round(longestWithoutGc),
          /** The ten longest calls: method, ms, ms into the window, and whether a collection began inside. */
          slowest: [...timing.slow]
            .sort((a, b) => b.ms - a.ms)
            .slice(0, 10)
            .map(({ at, ms: took, ...call }) => ({
              ...call,
              ms: round(took),
              atMs: Math.round(at - w.startedAt),
              gc: hadGc({ method: call.method, at, ms: took }),
            })),
          /** CPU seconds in the window of the main thread and of the other threads (V8's background threads: the GC's concurrent work). */
          mainThreadCpu: round(threadsAtEnd.main - w.threadsAtStart.main),
          /**
           * CPU seconds the server's core was busy with anything but this process in the window (other
           * processes, kernel threads, interrupts; from /proc/stat less this process's own time), and the
           * softirq and steal time in it. Only meaningful when the server is pinned to that core.
           */
          coreOtherCpu: round(
            (coreAtEnd.busy - w.coreAtStart.busy) / 100 -
              (threadsAtEnd.main - w.threadsAtStart.main) -
              // Moved threads ran elsewhere: only the main thread's time is on this core then.
              (workersCore === undefined ? threadsAtEnd.other - w.threadsAtStart.other : 0),
          ),
          coreSoftirqCpu: round((coreAtEnd.softirq - w.coreAtStart.softirq) / 100),
          coreStealCpu: round((coreAtEnd.steal - w.coreAtStart.steal) / 100),
          /** Each thread's allowed cores and CPU seconds so far (main thread first). */
          threads: readdirSync('/proc/self/task').map((tid) => {
            const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
            return {
              tid: Number(tid),
              cores: /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?',
              cpu: statCpuSeconds(statFields(`/proc/self/task/${tid}/stat`)),
            };
          }),
          v8WorkerCpu: round(threadsAtEnd.other - w.threadsAtStart.other),
          ...(summary === undefined ? {} : { profile: summary }),
          sizeBefore: w.sizeBefore,
          minSize: w.minSize,
          sizeAfter,
          /** When the store was smallest (ms into the window): the sweep's end, when one ran. */
          sweepDoneMs: w.minSize < w.sizeBefore ? Math.round(w.minAt) : undefined,
          heapUsedMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
        };
      }
      default:
        throw new Error(`unknown command ${command.type}`);
    }
  };

  return { listener: toNodeHandler(handler), commands, info: { sweepIntervalMs } };
});

/**
 * The tail-latency target of `tail.ts`: Kraikub's token endpoint
 * (core + `MemoryGrantStore` + `createHandler` via `toNodeHandler`) over a
 * store filled with a million records, on a clock the parent can move, so
 * a sweep of the store starts exactly when a measured window starts.
 *
 * Commands (IPC): `fill` the store through its own `issueTokens` (as
 * `sweep.ts` does: an access and a refresh token per grant, half of the
 * grants expiring just before the sweep is due); `mint` codes through
 * `approve`; `start` a window (the event loop delay histogram, garbage
 * collections, the store's size; with `sweep`, jump the clock past the due
 * sweep), `stop` it and report. Run with `--expose-gc`.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createHandler, createInteractions } from '@kraikub/adapter-http';
import { nodeCrypto, toNodeHandler } from '@kraikub/adapter-http/node';
import { MemoryGrantStore, MemoryInteractionStore } from '@kraikub/adapter-memory';
import type { TokenIssue } from '@kraikub/core';
import { apiServer, mintCodes, serveApiTarget } from './api-common.ts';

/** Clock time between sweeps: long enough that none starts by itself while the store fills and window (a) runs. */
const sweepIntervalMs = 590_000;
/** Codes live 10 minutes (the longest RFC 6749 allows), so the clock's jump does not expire them. */
const codeTtlSeconds = 600;

serveApiTarget(async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const store = new MemoryGrantStore({ clock, sweepIntervalMs });
  const created = clock.now();
  // The store set its first sweep at `created + sweepIntervalMs`; the short-lived half expires just before.
  const sweepDue = created + sweepIntervalMs;
  const shortExpiry = sweepDue - 10_000;
  const { server, request } = await apiServer({
    store,
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
        readonly gcs: number[];
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
        const loop = monitorEventLoopDelay({ resolution: 1 });
        const gcs: number[] = [];
        const observer = new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) gcs.push(entry.duration);
        });
        observer.observe({ entryTypes: ['gc'] });
        if (command.sweep === true) {
          // Past the due sweep: the next write starts it, a slice per write from then on.
          clock.offset = sweepDue + 1 - Date.now();
        }
        const sizeBefore = store.size;
        const startedAt = performance.now();
        // The sweep is done when the store is smallest: deletions stop, each exchange adds two records.
        const poll = setInterval(() => {
          if (current === undefined) return;
          const size = store.size;
          if (size < current.minSize) {
            current.minSize = size;
            current.minAt = performance.now() - current.startedAt;
          }
        }, 5);
        current = { loop, observer, gcs, poll, startedAt, sizeBefore, minSize: sizeBefore, minAt: 0 };
        loop.enable();
        return { sizeBefore, clock: clock.now() };
      }
      case 'stop': {
        if (current === undefined) throw new Error('no window started');
        const w = current;
        w.loop.disable();
        clearInterval(w.poll);
        // Let the observer deliver the last collections.
        await new Promise((resolve) => setTimeout(resolve, 20));
        w.observer.disconnect();
        current = undefined;
        const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
        const sizeAfter = store.size;
        return {
          loopMaxMs: ms(w.loop.max),
          loopP99Ms: ms(w.loop.percentile(99)),
          loopP50Ms: ms(w.loop.percentile(50)),
          loopMeanMs: ms(w.loop.mean),
          /** How many delays the histogram recorded (about one per loop turn, at most one a millisecond). */
          loopSamples: w.loop.count,
          gcCount: w.gcs.length,
          gcMaxMs: Math.round(Math.max(0, ...w.gcs) * 100) / 100,
          gcTotalMs: Math.round(w.gcs.reduce((a, b) => a + b, 0) * 10) / 10,
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

/**
 * Flat tail latency: code exchanges over HTTP against a `MemoryGrantStore`
 * holding a million records, in a window with no sweep and in a window in
 * which a sweep of those records runs (half of them expired, so it has real
 * work), with the server's event loop delay (`monitorEventLoopDelay`,
 * resolution 1 ms) and garbage collections in each window.
 *
 *   cd bench && node --import tsx tail.ts [--smoke] [--grants=500000] [--reps=3] [--warmup=2]
 *     [--duration=5] [--connections=50] [--codes=175000] [--rate=0] [--profile] [--sweep-slice=N]
 *     [--workers-core=N] [--out=results/tail]
 *
 * The server (`targets/api-tail.ts`, `--expose-gc --max-old-space-size=8192`)
 * runs pinned to core 0 and is started afresh for each repetition: it fills
 * its store with `grants` grants (an access and a refresh token each, so
 * 500,000 grants are 1,000,000 records), half of them expiring three
 * minutes after the store was made. Window (a) runs at the real time:
 * nothing has expired. For window (b) the server's clock jumps past the
 * half's expiry (and the store's 30 s expiry buckets) as the window starts,
 * so the first exchange starts dropping those 500,000 records, a slice (the
 * store's `sweepSlice`, 64 by default, `--sweep-slice=N` to change it) per
 * write. Each window has its own distinct codes,
 * minted through `approve` beforehand (a code is good once), so the store
 * also holds those codes and what the exchanges add.
 *
 * By default the load saturates the server (each connection sends its next
 * request when the last is answered); `--rate=N` paces it instead at N
 * requests a second, open loop, latency counted from when each request was
 * due (a server below its capacity, as a provider usually runs). Every store
 * call is timed in the server (`targets/api-tail.ts`), and `--profile` takes
 * a V8 CPU profile of each window (summaries in `<out>/profile-<phase>.txt`).
 * `--workers-core=1` moves every server thread but the main one to core 1
 * (a diagnostic: do V8's background threads preempt the event loop?).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { basic } from './lib/kraikub.ts';
import { benchDir, pinning, pinSelf } from './lib/process.ts';
import { client } from './lib/target.ts';
import {
  argsOf,
  cell,
  cpuUsPerOk,
  loadWindow,
  machine,
  type PlannedRequest,
  paceWindow,
  spread,
  startApiTarget,
  type WindowResult,
} from './targets/api-load.ts';

const args = argsOf(process.argv.slice(2));
const smoke = args.has('smoke');
const grants = Number(args.get('grants') || (smoke ? 20_000 : 500_000));
const reps = Number(args.get('reps') || (smoke ? 1 : 3));
const warmup = Number(args.get('warmup') || (smoke ? 0.5 : 2));
const duration = Number(args.get('duration') || (smoke ? 1 : 5));
const connections = Number(args.get('connections') || 50);
/** Requests a second, paced; 0: as fast as the server answers. */
const rate = Number(args.get('rate') || 0);
const profile = args.has('profile');
/** Move the server's threads but the main one to this core (a diagnostic); undefined: they stay with it. */
const workersCore = args.get('workers-core') || undefined;
/** The store's `sweepSlice`; undefined: its default. */
const sweepSlice = args.get('sweep-slice') || undefined;
/** Extra V8/Node flags for the server (e.g. `--single-threaded-gc`), comma-separated. */
const nodeFlags = (args.get('node-flags') ?? '').split(',').filter((flag) => flag !== '');
/** Distinct codes per window (warm-up included): enough for 25,000 exchanges a second, or the pace. */
const codes = Number(
  args.get('codes') || Math.ceil((rate > 0 ? rate * 1.05 + 100 : 25_000) * (warmup + duration)),
);
const outArg = args.get('out') || (smoke ? '/tmp/kraikub-bench-tail-smoke' : 'results/tail');
const outDir = isAbsolute(outArg) ? outArg : join(benchDir, outArg);

/** What the server saw in a window. */
interface ServerWindow {
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
  readonly loopP50Ms: number;
  readonly loopMeanMs: number;
  readonly loopSamples: number;
  readonly gcCount: number;
  readonly gcMaxMs: number;
  readonly gcTotalMs: number;
  readonly sizeBefore: number;
  readonly minSize: number;
  readonly sizeAfter: number;
  readonly sweepDoneMs?: number;
  readonly heapUsedMB: number;
  /** Calls into the store in the window, their mean and longest duration. */
  readonly storeCalls: number;
  readonly storeMeanUs: number;
  readonly storeMaxMs: number;
  /** Store calls longer than 1 ms, and those with no garbage collection beginning inside them. */
  readonly storeSlow: number;
  readonly storeSlowWithoutGc: number;
  readonly storeMaxWithoutGcMs: number;
  /** The ten longest store calls over 1 ms (with `TAIL_CALL_CPU=1`, the process's CPU, faults and preemptions in each). */
  readonly slowest: readonly (Record<string, number | string | boolean> & { readonly ms: number })[];
  /** CPU seconds in the window: the main thread, V8's background threads (concurrent GC work). */
  readonly mainThreadCpu: number;
  readonly v8WorkerCpu: number;
  /** CPU seconds on the server's core not spent by the server (and the softirq and steal time on it). */
  readonly coreOtherCpu: number;
  readonly coreSoftirqCpu: number;
  readonly coreStealCpu: number;
  /** The window's CPU profile summary, with `--profile`. */
  readonly profile?: string;
}

interface Fill {
  readonly records: number;
  readonly bytesPerGrant: number;
  readonly heapUsedMB: number;
  readonly fillSeconds: number;
}

type Phase = 'no sweep' | 'sweep';

interface Run {
  readonly rep: number;
  readonly phase: Phase;
  readonly load: WindowResult;
  readonly server: ServerWindow;
}

const body = (code: string) =>
  `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=${encodeURIComponent(client.redirectUri)}`;
const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
const success = (status: number, text: string) =>
  status === 200 && text.includes('"access_token":"') && text.includes('"refresh_token":"');

/** A figure in ms with two decimals, or a dash. */
const ms2 = (value: unknown) => (typeof value === 'number' ? value.toFixed(2) : '–');

async function main(): Promise<void> {
  pinSelf(1);
  const before = machine();
  const startedAt = new Date().toISOString();
  console.log(
    `tail: ${grants.toLocaleString('en')} grants (${(2 * grants).toLocaleString('en')} records) in MemoryGrantStore, ` +
      `code exchanges over HTTP at ${connections} connections, ${warmup} s warm-up + ${duration} s per window, ` +
      `${codes.toLocaleString('en')} codes per window, ${reps} repetition(s); ` +
      `${pinning ? 'server on core 0, load on core 1' : 'NOT pinned'}; load average ${String(before.loadAverage)}`,
  );
  const runs: Run[] = [];
  const fills: Fill[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    const target = await startApiTarget(
      'api-tail.ts',
      {
        ...(sweepSlice === undefined ? {} : { TAIL_SWEEP_SLICE: sweepSlice }),
        ...(workersCore === undefined ? {} : { TAIL_WORKERS_CORE: workersCore }),
      },
      ['--expose-gc', '--max-old-space-size=8192', ...nodeFlags],
    );
    try {
      const fill = await target.call<Fill>('fill', { grants });
      fills.push(fill);
      console.log(
        `rep ${rep}: filled ${fill.records.toLocaleString('en')} records in ${fill.fillSeconds} s, ` +
          `${fill.bytesPerGrant} B heap per grant, heap ${fill.heapUsedMB} MB`,
      );
      for (const phase of ['no sweep', 'sweep'] as const) {
        const minted = await target.call<string[]>('mint', { count: codes });
        const requests: PlannedRequest[] = minted.map((code) => ({
          method: 'POST',
          path: '/token',
          headers,
          body: body(code),
        }));
        let stopped: Promise<ServerWindow> | undefined;
        const load = await (rate > 0
          ? (o: Parameters<typeof loadWindow>[0]) => paceWindow({ ...o, rate })
          : loadWindow)({
          port: target.port,
          pid: target.pid,
          connections,
          warmup,
          duration,
          requests,
          cycle: false,
          success,
          onStart: async () => {
            await target.call('start', { sweep: phase === 'sweep', profile, label: phase.replace(' ', '-') });
          },
          onEnd: () => {
            stopped = target.call<ServerWindow>('stop');
          },
        });
        // The window's end timer may fire after autocannon has finished (requests ran out).
        while (stopped === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
        const server = await stopped;
        if (phase === 'no sweep' && server.minSize < server.sizeBefore)
          throw new Error('the store shrank in the window without a sweep: a sweep ran');
        if (server.profile !== undefined) {
          mkdirSync(outDir, { recursive: true });
          writeFileSync(
            join(outDir, `profile-${phase.replace(' ', '-')}.txt`),
            `# CPU profile of the server's main thread, window (${phase === 'sweep' ? 'b' : 'a'}) ${phase}, repetition ${rep}\n\n${server.profile}`,
          );
        }
        const { profile: _summary, ...kept } = server;
        runs.push({ rep, phase, load, server: kept });
        console.log(
          `rep ${rep} ${phase}: ${load.rps.toLocaleString('en')} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, ` +
            `max ${load.max} ms; loop delay max ${server.loopMaxMs} ms, p99 ${server.loopP99Ms} ms (${server.loopSamples} samples); ` +
            `${server.gcCount} GCs (longest ${server.gcMaxMs} ms); store calls: longest ${server.storeMaxMs} ms, ` +
            `${server.storeSlow} over 1 ms (${server.storeSlowWithoutGc} with no GC in them, longest ${server.storeMaxWithoutGcMs} ms); ` +
            `store ${server.sizeBefore} → ${server.sizeAfter} records` +
            (server.sweepDoneMs === undefined
              ? ''
              : `, sweep done ${server.sweepDoneMs} ms into the window`) +
            (load.exhausted ? ' (codes ran out: window cut short)' : '') +
            (load.ok < load.responses
              ? `, ${load.responses - load.ok} failed: ${JSON.stringify(load.firstFailure)}`
              : ''),
        );
      }
    } finally {
      await target.stop();
    }
  }
  const after = machine();
  const summary = Object.fromEntries(
    (['no sweep', 'sweep'] as const).map((phase) => {
      const mine = runs.filter((r) => r.phase === phase);
      return [
        phase,
        {
          rps: spread(mine.map((r) => r.load.rps)),
          p50: spread(mine.map((r) => r.load.p50)),
          p99: spread(mine.map((r) => r.load.p99)),
          max: spread(mine.map((r) => r.load.max)),
          loopMaxMs: spread(mine.map((r) => r.server.loopMaxMs)),
          loopP99Ms: spread(mine.map((r) => r.server.loopP99Ms)),
          gcMaxMs: spread(mine.map((r) => r.server.gcMaxMs)),
          gcCount: spread(mine.map((r) => r.server.gcCount)),
          storeMeanUs: spread(mine.map((r) => r.server.storeMeanUs)),
          storeMaxMs: spread(mine.map((r) => r.server.storeMaxMs)),
          storeSlow: spread(mine.map((r) => r.server.storeSlow)),
          storeSlowWithoutGc: spread(mine.map((r) => r.server.storeSlowWithoutGc)),
          storeMaxWithoutGcMs: spread(mine.map((r) => r.server.storeMaxWithoutGcMs)),
          sweepDoneMs: spread(mine.map((r) => r.server.sweepDoneMs)),
          cpuUsPerOk: spread(mine.map((r) => r.load.cpuUsPerOk)),
          mainUsPerOk: spread(mine.map((r) => cpuUsPerOk(r.server.mainThreadCpu, r.load.ok))),
          v8WorkerUsPerOk: spread(mine.map((r) => cpuUsPerOk(r.server.v8WorkerCpu, r.load.ok))),
          coreOtherMs: spread(mine.map((r) => Math.round(r.server.coreOtherCpu * 1000))),
          coreSoftirqMs: spread(mine.map((r) => Math.round(r.server.coreSoftirqCpu * 1000))),
          coreStealMs: spread(mine.map((r) => Math.round(r.server.coreStealCpu * 1000))),
        },
      ];
    }),
  );
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: {
      smoke,
      grants,
      records: 2 * grants,
      reps,
      warmup,
      duration,
      connections,
      rate,
      nodeFlags,
      sweepSlice: sweepSlice === undefined ? 'default' : Number(sweepSlice),
      workersCore: workersCore === undefined ? 'with the main thread' : Number(workersCore),
      callCpu: process.env.TAIL_CALL_CPU === '1',
      codesPerWindow: codes,
    },
    machine: { ...before, loadAverageBefore: before.loadAverage, loadAverageAfter: after.loadAverage },
    fills,
    bytesPerGrant: spread(fills.map((f) => f.bytesPerGrant)),
    summary,
    runs,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report);
  writeFileSync(join(outDir, 'latest.md'), md);
  console.log(`\n${md}\nwritten to ${outDir}`);
  if (runs.some((r) => r.load.ok === 0)) process.exitCode = 1;
}

function markdown(report: {
  startedAt: string;
  machine: Record<string, unknown>;
  summary: Record<string, Record<string, ReturnType<typeof spread>>>;
  bytesPerGrant: ReturnType<typeof spread>;
  runs: Run[];
}): string {
  const m = report.machine;
  const rows: [string, string, number][] = [
    ['successful req/s', 'rps', 0],
    ['p50 latency, ms', 'p50', 2],
    ['p99 latency, ms', 'p99', 2],
    ['max latency, ms', 'max', 1],
    ['event loop delay, max, ms', 'loopMaxMs', 1],
    ['event loop delay, p99, ms', 'loopP99Ms', 2],
    ['garbage collections in the window', 'gcCount', 0],
    ['longest garbage collection, ms', 'gcMaxMs', 1],
    ['store call, mean, µs', 'storeMeanUs', 1],
    ['store call, longest, ms', 'storeMaxMs', 2],
    ['store calls over 1 ms', 'storeSlow', 0],
    ['… of them with no GC inside', 'storeSlowWithoutGc', 0],
    ['… the longest of those, ms', 'storeMaxWithoutGcMs', 2],
    ['sweep done, ms into the window', 'sweepDoneMs', 0],
    ['server CPU µs per exchange', 'cpuUsPerOk', 1],
    ['… main thread', 'mainUsPerOk', 1],
    ["… other threads (V8's concurrent GC, libuv)", 'v8WorkerUsPerOk', 1],
    ["the server's core busy with anything else, ms in the window", 'coreOtherMs', 0],
    ['… of it softirq (network), ms', 'coreSoftirqMs', 0],
    ['… of it stolen by the hypervisor, ms', 'coreStealMs', 0],
  ];
  const none = report.summary['no sweep'] ?? {};
  const sweep = report.summary.sweep ?? {};
  return [
    `# Tail latency with a million records, with and without a sweep (${report.startedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Node ${String(m.node)}, ${String(m.cpus)} × ${String(m.cpuModel)}, ${m.pinning ? 'server pinned to core 0, load to core 1' : 'not pinned'}; ` +
      `load average ${String(m.loadAverageBefore)} before, ${String(m.loadAverageAfter)} after. ` +
      `${grants.toLocaleString('en')} grants (${(2 * grants).toLocaleString('en')} records: an access and a refresh token each) filled through ` +
      `\`MemoryGrantStore.issueTokens\`, half of them expired when the sweep is due; code exchanges over HTTP ` +
      `(core + \`createHandler\` via \`toNodeHandler\`), ${connections} connections, ` +
      `${rate > 0 ? `paced at ${rate.toLocaleString('en')} requests a second (open loop, latency from when each was due)` : 'as fast as the server answers'}, ` +
      `${warmup} s warm-up + ${duration} s per window, ` +
      `${reps} repetition(s), a fresh server each. Heap per live grant after the fill: ${cell(report.bytesPerGrant)} B.`,
    '',
    '| median (min–max) over repetitions | (a) no sweep | (b) a sweep runs |',
    '| --- | ---: | ---: |',
    ...rows.map(
      ([title, key, digits]) => `| ${title} | ${cell(none[key], digits)} | ${cell(sweep[key], digits)} |`,
    ),
    '',
    'The event loop delay is `monitorEventLoopDelay({ resolution: 1 })` in the server over the window: its maximum is the longest ' +
      'the loop was held (by the store, by a garbage collection, by a loop turn serving many queued requests, by anything). Latency is timed per request by the load generator. ' +
      'Every call into the store is timed in the server (before and after the call, which runs whole before it returns its promise); ' +
      '"no GC inside" counts the calls over 1 ms in which no garbage collection began.',
    '',
    'The longest store calls over 1 ms, every repetition together (ms into the window; with `TAIL_CALL_CPU=1`, the ' +
      "main thread's time on the CPU and time runnable but waiting for it (`/proc/thread-self/schedstat`), and the " +
      "process's user and system CPU, minor page faults and involuntary context switches during each call):",
    '',
    ...(['no sweep', 'sweep'] as const).map((phase) => {
      const slowest = report.runs
        .filter((run) => run.phase === phase)
        .flatMap((run) => run.server.slowest)
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 8);
      return `- ${phase}: ${
        slowest.length === 0
          ? 'none'
          : slowest
              .map(
                (call) =>
                  `${String(call.method)} ${call.ms} ms at ${String(call.atMs)} ms${call.gc === true ? ' (a GC began inside)' : ''}` +
                  (call.userMs === undefined
                    ? ''
                    : ` [main thread on the CPU ${ms2(call.mainCpuMs)} ms, waiting for it ${ms2(call.mainWaitMs)} ms; process user ${ms2(call.userMs)}, system ${ms2(call.systemMs)} ms, ${String(call.minorFaults)} faults, ${String(call.involuntarySwitches)} preemptions]`),
              )
              .join('; ')
      }`;
    }),
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

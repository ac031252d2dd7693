import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { benchDir } from './process.ts';
import type { Work } from './protocol.ts';

/** One measured window. */
export interface RunResult {
  readonly rps: number;
  readonly ok: number;
  readonly responses: number;
  /** Responses that were not a 200 with both tokens. */
  readonly failed: number;
  /** Requests sent in the window, answered or not (absent in older reports). */
  readonly sent?: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly seconds: number;
  readonly exhausted: boolean;
  /** Server CPU use during the window (1 = one core busy). */
  readonly serverCpu: number | undefined;
  /** Credentials minted for the window, and how long that took (outside the window). */
  readonly minted: number;
  readonly mintSeconds: number;
  /** Load generator CPU use during the window. */
  readonly generatorCpu: number;
  readonly firstFailure?: { status: number; body: string };
  /**
   * CPU use of the target's store processes over the window (its private
   * `redis-server`, the PostgreSQL backends of its pool); absent without a store.
   */
  readonly storeCpu?: number;
  /**
   * The store's counters over the window (end − start): `roundTrips`, the
   * commands or statements the target sent; `redisCommands`, what Redis ran.
   */
  readonly store?: Readonly<Record<string, number>>;
  /** Bytes allocated on the server's V8 heap over the window (`v8.GCProfiler`). Absent in older reports. */
  readonly allocatedBytes?: number;
  /** Garbage collections over the window, and their cost (main-thread pause time) in µs. */
  readonly gcCount?: number;
  readonly gcMicros?: number;
}

export interface CellResult {
  readonly target: string;
  readonly work: Work;
  readonly connections: number;
  status: 'ok' | 'unavailable' | 'failed';
  reason?: string | undefined;
  readonly runs: RunResult[];
  summary?: {
    /** Median over the repetitions. */
    rps: number;
    min: number;
    max: number;
    stdev: number;
    p50: number;
    p99: number;
    ratio?: number;
  };
}

/** The in-process figures of core alone. */
export interface CoreResult {
  readonly grants: number;
  readonly results: readonly {
    readonly crypto: string;
    readonly exchangesPerSecond: number;
    /**
     * Code exchanges of an OpenID Connect grant (scope `openid`, a nonce) per
     * second: each signs an ID Token (ES256). Absent in reports made before it.
     */
    readonly exchangesOpenidPerSecond?: number;
    readonly refreshesPerSecond: number;
    /** `verifyAccessToken` of opaque access tokens per second (the check `verifyBearer` makes). Absent in older reports. */
    readonly verificationsPerSecond?: number;
    /** Introspections (RFC 7662) of the client's own access tokens per second. Absent in older reports. */
    readonly introspectionsPerSecond?: number;
  }[];
  /** Heap bytes per grant right after its code was exchanged (code tombstone, access and refresh token). */
  readonly bytesPerGrant: number;
  /** Heap bytes per grant once the code tombstones expired (access and refresh token). */
  readonly bytesPerGrantAfterCodeExpiry: number;
  /** Heap bytes per pending interaction (an anonymous `GET /authorize` parked in `MemoryInteractionStore`). */
  readonly bytesPerInteraction?: number;
}

/** A target as the report names it. */
export interface ReportTarget {
  readonly id: string;
  readonly name: string;
  readonly notes: string;
  /** The Node it ran on (`process.version` in the target). Absent in older reports. */
  readonly node?: string;
  /** The id of the floor it is compared with (the floor on its Node). Absent in older reports: `floor`. */
  readonly floor?: string;
}

export interface Report {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly settings: {
    readonly smoke: boolean;
    readonly reps: number;
    readonly warmup: number;
    readonly duration: number;
    readonly works: readonly Work[];
    readonly connections: readonly number[];
  };
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly pinning: boolean;
    readonly loadBefore: readonly number[];
    readonly loadAfter: readonly number[];
  };
  readonly targets: readonly ReportTarget[];
  readonly cells: readonly CellResult[];
  readonly core?: CoreResult;
}

const workName: Record<Work, string> = {
  exchange: 'code exchange',
  refresh: 'refresh (rotating)',
  'exchange-openid': 'code exchange with openid (ID Token signed per request)',
};
/** Column heads of the summary table. */
const workShort: Record<Work, string> = {
  exchange: 'code exchange',
  refresh: 'refresh',
  'exchange-openid': 'exchange + openid',
};
/** Microseconds per operation at `perSecond` operations per second. */
const us = (perSecond: number) => 1e6 / perSecond;
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const load = (values: readonly number[]) => values.map((n) => n.toFixed(2)).join(' / ');

/** The cell of one target, work and connection count, if the report has it. */
function cellAt(report: Report, target: string, work: Work, connections: number): CellResult | undefined {
  return report.cells.find((c) => c.target === target && c.work === work && c.connections === connections);
}

function cellText(cell: CellResult): {
  rps: string;
  spread: string;
  ratio: string;
  latency: string;
  cpu: string;
} {
  const s = cell.summary;
  if (cell.status !== 'ok' || s === undefined) {
    const why = cell.status === 'unavailable' ? 'not available' : 'failed';
    return { rps: why, spread: '', ratio: '', latency: '', cpu: '' };
  }
  const cpus = cell.runs.map((r) => r.serverCpu).filter((c): c is number => c !== undefined);
  const cpu =
    cpus.length === 0 ? '?' : `${Math.round((cpus.reduce((a, b) => a + b, 0) / cpus.length) * 100)}%`;
  const gen = cell.runs.reduce((a, r) => a + r.generatorCpu, 0) / cell.runs.length;
  return {
    rps: int(s.rps),
    spread:
      cell.runs.length > 1
        ? `${int(s.min)}–${int(s.max)} (±${((s.stdev / s.rps) * 100).toFixed(1)}%)`
        : 'one run',
    ratio: s.ratio === undefined ? '' : `${s.ratio.toFixed(2)}×`,
    // Medians of an even count are means of two: round, or 3.8899999999999997 shows.
    latency: `${Number(s.p50.toFixed(2))} / ${Number(s.p99.toFixed(2))}`,
    cpu: `${cpu} / ${Math.round(gen * 100)}%`,
  };
}

/** One line per target: successful requests per second and the ratio to the floor, per cell. */
export function summaryTable(report: Report): string[] {
  const cellsOf = report.settings.works.flatMap((work) =>
    report.settings.connections.map((connections) => ({ work, connections })),
  );
  const head = cellsOf.map((c) => `${workShort[c.work]}, ${c.connections} conn.`);
  const lines = [
    `| req/s (× floor) | ${head.join(' | ')} |`,
    `| --- | ${head.map(() => '---:').join(' | ')} |`,
  ];
  for (const target of report.targets) {
    const values = cellsOf.map(({ work, connections }) => {
      const cell = cellAt(report, target.id, work, connections);
      if (cell === undefined) return '';
      const s = cell.summary;
      if (cell.status !== 'ok' || s === undefined) return cell.status === 'unavailable' ? 'n/a' : 'failed';
      return `${int(s.rps)}${s.ratio === undefined || isFloor(target) ? '' : ` (${s.ratio.toFixed(2)}×)`}`;
    });
    lines.push(`| ${target.name} | ${values.join(' | ')} |`);
  }
  return lines;
}

/** The floor a target is compared with: the floor on its own Node. */
export const floorOfTarget = (target: ReportTarget): string => target.floor ?? 'floor';
/** A floor is compared with nothing. */
export const isFloor = (target: ReportTarget): boolean => floorOfTarget(target) === target.id;

/** Server CPU microseconds per successful request in one window; `undefined` without a CPU reading. */
export function cpuPerRequest(run: RunResult): number | undefined {
  return run.serverCpu === undefined || run.ok === 0
    ? undefined
    : (run.serverCpu * run.seconds * 1e6) / run.ok;
}

/** The store's CPU microseconds per successful request in one window; `undefined` without a store. */
export function storeCpuPerRequest(run: RunResult): number | undefined {
  return run.storeCpu === undefined || run.ok === 0 ? undefined : (run.storeCpu * run.seconds * 1e6) / run.ok;
}

/** Bytes allocated on the server's heap per successful request in one window. */
export function bytesPerRequest(run: RunResult): number | undefined {
  return run.allocatedBytes === undefined || run.ok === 0 ? undefined : run.allocatedBytes / run.ok;
}

/** The share of the server's CPU time that was garbage collection pauses, in one window. */
export function gcShare(run: RunResult): number | undefined {
  return run.gcMicros === undefined || run.serverCpu === undefined || run.serverCpu === 0
    ? undefined
    : run.gcMicros / (run.serverCpu * run.seconds * 1e6);
}

/**
 * Store round trips (commands or statements the target sent) per request
 * sent in one window: the requests still in flight when it closed made
 * their round trips too (per successful response in reports without `sent`).
 */
export function roundTripsPerRequest(run: RunResult): number | undefined {
  const trips = run.store?.roundTrips;
  const requests = run.sent ?? run.ok;
  return trips === undefined || requests === 0 ? undefined : trips / requests;
}

const defined = <T>(values: readonly (T | undefined)[]): T[] => values.filter((v): v is T => v !== undefined);
/** `median (min–max)` of the defined values, or '' when none. */
function spreadText(values: readonly (number | undefined)[], format: (n: number) => string): string {
  const present = defined(values);
  if (present.length === 0) return '';
  const m = format(median(present));
  return present.length === 1 ? m : `${m} (${format(Math.min(...present))}–${format(Math.max(...present))})`;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/**
 * The figure that survives a noisy machine: the server's CPU time per
 * successful request (from `/proc/<pid>/stat` over the timed window), its
 * median and spread over the repetitions, and the floor's CPU per request
 * divided by the target's, paired by repetition (the floor ran in the same
 * repetition) with the floor on the target's own Node, as a median. For a
 * target with a store of its own (Redis, PostgreSQL), the store's CPU per
 * request and server + store as well.
 */
export function cpuTable(report: Report): string[] {
  const rows: string[] = [];
  const withStore = report.cells.some((c) => c.runs.some((r) => r.storeCpu !== undefined));
  for (const work of report.settings.works) {
    for (const connections of report.settings.connections) {
      const cellOf = (target: string) => cellAt(report, target, work, connections);
      for (const target of report.targets) {
        const cell = cellOf(target.id);
        if (cell === undefined || cell.status !== 'ok') continue;
        const per = defined(cell.runs.map(cpuPerRequest));
        if (per.length === 0) continue;
        const floor = isFloor(target) ? undefined : cellOf(floorOfTarget(target));
        const ratios =
          floor === undefined
            ? []
            : cell.runs.flatMap((run, i) => {
                const mine = cpuPerRequest(run);
                const base =
                  floor.runs[i] === undefined ? undefined : cpuPerRequest(floor.runs[i] as RunResult);
                return mine === undefined || base === undefined ? [] : [base / mine];
              });
        const store = cell.runs.map(storeCpuPerRequest);
        const both = cell.runs.map((run) => {
          const server = cpuPerRequest(run);
          const mine = storeCpuPerRequest(run);
          return server === undefined || mine === undefined ? undefined : server + mine;
        });
        rows.push(
          `| ${workShort[work]} | ${connections} | ${target.name} | ${median(per).toFixed(1)} | ` +
            `${Math.min(...per).toFixed(1)}–${Math.max(...per).toFixed(1)} | ` +
            (withStore
              ? `${spreadText(store, (n) => n.toFixed(1))} | ${spreadText(both, (n) => n.toFixed(1))} | `
              : '') +
            `${ratios.length === 0 ? '' : `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})${floor !== undefined && floor.target !== 'floor' ? ` vs \`${floor.target}\`` : ''}`} |`,
        );
      }
    }
  }
  if (rows.length === 0) return [];
  return [
    '',
    '## Server CPU per successful request',
    '',
    `| work | conn. | target | µs CPU per request, median | min–max over repetitions | ${withStore ? 'store µs CPU per request, median (min–max) | server + store µs, median (min–max) | ' : ''}floor ÷ target, median of the repetitions (min–max) |`,
    `| --- | ---: | --- | ---: | ---: | ${withStore ? '---: | ---: | ' : ''}---: |`,
    ...rows,
    '',
    "CPU time of the server's process (user + system, from `/proc/<pid>/stat`) over the timed window, divided by " +
      'the successful responses in it: what a request costs the server, whatever else the machine was doing. ' +
      "Floor ÷ target: the floor's figure over the target's in the same repetition (1 would be the floor's cost), " +
      'with the floor on the same Node as the target.' +
      (withStore
        ? ' Store: the CPU time of the processes of the store serving the target over the same window (its private ' +
          '`redis-server`, which shares core 0 with it; the PostgreSQL backends of its pool, which are not pinned), per ' +
          'successful request. The floor ÷ target ratio is of the server alone.'
        : ''),
  ];
}

/**
 * What a request allocates: bytes allocated on the server's V8 heap over the
 * window (`v8.GCProfiler`: what every collection freed plus the used heap's
 * growth) per successful request, and the share of the server's CPU time
 * that was garbage collection pauses.
 */
export function heapTable(report: Report): string[] {
  const rows: string[] = [];
  for (const work of report.settings.works) {
    for (const connections of report.settings.connections) {
      for (const target of report.targets) {
        const cell = cellAt(report, target.id, work, connections);
        if (cell === undefined || cell.status !== 'ok') continue;
        const bytes = cell.runs.map(bytesPerRequest);
        if (defined(bytes).length === 0) continue;
        const gcs = cell.runs.map((r) =>
          r.gcCount === undefined || r.ok === 0 ? undefined : (r.gcCount / r.ok) * 1000,
        );
        rows.push(
          `| ${workShort[work]} | ${connections} | ${target.name} | ${spreadText(bytes, int)} | ` +
            `${spreadText(cell.runs.map(gcShare), (n) => (n > 1 ? 'over 100% (stalled)' : `${(n * 100).toFixed(1)}%`))} | ${spreadText(gcs, (n) => n.toFixed(2))} |`,
        );
      }
    }
  }
  if (rows.length === 0) return [];
  return [
    '',
    '## Bytes allocated per successful request',
    '',
    '| work | conn. | target | bytes allocated per request, median (min–max) | GC share of server CPU, median (min–max) | collections per 1,000 requests |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    "Bytes allocated on the server's V8 heap over the timed window, from `v8.GCProfiler` in the target: what every " +
      'garbage collection freed (used heap before minus after) plus the growth of the used heap from start to end, ' +
      'divided by the successful responses. `Buffer` contents (off the V8 heap) are not counted. GC share: the ' +
      "collections' cost (their pause time on the main thread, wall time) over the server's CPU time in the window: " +
      'a server descheduled during a collection reads high, and over 100% means it was stalled.',
  ];
}

/**
 * What a request costs the store, for the targets with one: round trips (the
 * commands or statements the target sent) and the store's CPU time, per
 * successful request.
 */
export function storeTable(report: Report): string[] {
  const rows: string[] = [];
  for (const work of report.settings.works) {
    for (const connections of report.settings.connections) {
      for (const target of report.targets) {
        const cell = cellAt(report, target.id, work, connections);
        if (cell === undefined || cell.status !== 'ok') continue;
        const trips = cell.runs.map(roundTripsPerRequest);
        const cpu = cell.runs.map(storeCpuPerRequest);
        if (defined(trips).length === 0 && defined(cpu).length === 0) continue;
        const commands = cell.runs.map((r) => {
          const requests = r.sent ?? r.ok;
          return r.store?.redisCommands === undefined || requests === 0
            ? undefined
            : r.store.redisCommands / requests;
        });
        rows.push(
          `| ${workShort[work]} | ${connections} | ${target.name} | ${spreadText(trips, (n) => n.toFixed(2))} | ` +
            `${spreadText(commands, (n) => n.toFixed(2))} | ${spreadText(cpu, (n) => n.toFixed(1))} |`,
        );
      }
    }
  }
  if (rows.length === 0) return [];
  return [
    '',
    '## Store cost per successful request',
    '',
    '| work | conn. | target | round trips per request, median (min–max) | commands Redis ran per request (in its scripts too) | store µs CPU per successful request, median (min–max) |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    'Round trips: the commands (Redis) or statements (PostgreSQL) the target sent its store over the timed window, ' +
      'counted by a wrapper in the target, over the requests sent in the window (those in flight at its end made ' +
      'theirs too). Redis: also the calls in its own `INFO commandstats` over the same window, which counts the ' +
      "commands its Lua scripts run as well (a script is one round trip). Store CPU: user + system time of the store's " +
      'processes serving the target (from `/proc`) over the same window, per successful response.',
  ];
}

/**
 * The code exchange with openid beside the plain one, per target and
 * connection count: both medians, their ratio, the ratio of each
 * repetition's pair (the two cells run back to back in every repetition),
 * and the wall time the ID Token adds per request at the server's rate.
 */
export function idTokenCost(report: Report): string[] {
  const works = report.settings.works;
  if (!works.includes('exchange') || !works.includes('exchange-openid')) return [];
  const rows: string[] = [];
  for (const target of report.targets) {
    for (const connections of report.settings.connections) {
      const find = (work: Work) => cellAt(report, target.id, work, connections);
      const plain = find('exchange');
      const openid = find('exchange-openid');
      if (plain === undefined || openid === undefined) continue;
      if (openid.status !== 'ok' || openid.summary === undefined) {
        if (plain.status === 'ok')
          rows.push(
            `| ${target.name} | ${connections} | ${plain.summary === undefined ? '' : int(plain.summary.rps)} | ${openid.status === 'unavailable' ? 'n/a' : 'failed'} | | | |`,
          );
        continue;
      }
      if (plain.status !== 'ok' || plain.summary === undefined) continue;
      const pairs = Math.min(plain.runs.length, openid.runs.length);
      const ratios = Array.from(
        { length: pairs },
        (_, i) => (openid.runs[i] as RunResult).rps / (plain.runs[i] as RunResult).rps,
      );
      const added = Array.from(
        { length: pairs },
        (_, i) => us((openid.runs[i] as RunResult).rps) - us((plain.runs[i] as RunResult).rps),
      );
      // "to" rather than a dash: a pair can go either way on a noisy machine (a negative cost).
      const spread = (values: number[], digits: number) =>
        values.length > 1
          ? ` (${Math.min(...values).toFixed(digits)} to ${Math.max(...values).toFixed(digits)})`
          : '';
      rows.push(
        `| ${target.name} | ${connections} | ${int(plain.summary.rps)} | ${int(openid.summary.rps)} | ` +
          `${(openid.summary.rps / plain.summary.rps).toFixed(2)}× | ${mean(ratios).toFixed(2)}×${spread(ratios, 2)} | ` +
          `${mean(added).toFixed(1)}${spread(added, 1)} |`,
      );
    }
  }
  if (rows.length === 0) return [];
  return [
    '',
    '## The ID Token: code exchange with openid beside the plain one',
    '',
    '| target | conn. | code exchange req/s | with openid req/s | ratio of medians | ratio per repetition, mean (min to max) | µs added per request, mean (min to max) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    "Each repetition runs the two works back to back on the same target, so each pair shares the machine's " +
      'state of the moment. µs added per request: 1/(req/s with openid) − 1/(req/s plain), the wall time the ' +
      'server spends more per request (the server is one Node process on one core).',
  ];
}

/** The Markdown summary. */
export function markdown(report: Report): string {
  const names = new Map(report.targets.map((t) => [t.id, t.name]));
  const lines: string[] = [];
  const m = report.machine;
  lines.push(`# Token endpoint benchmark${report.settings.smoke ? ' (smoke run: not a measurement)' : ''}`);
  lines.push('');
  lines.push(
    `${report.startedAt.slice(0, 16).replace('T', ' ')} UTC · Node ${m.node} · ${m.cpus} cores (${m.cpuModel}) · ` +
      `${m.pinning ? 'server pinned to core 0, load generator (autocannon) to core 1' : 'no CPU pinning'} · ` +
      `load average (1/5/15 min) ${load(m.loadBefore)} before, ${load(m.loadAfter)} after`,
  );
  lines.push('');
  lines.push(
    `Keep-alive HTTP/1.1 on loopback, client_secret_basic, each request a distinct pre-minted credential. ` +
      `${report.settings.warmup} s warm-up, then a ${report.settings.duration} s window; ` +
      `${report.settings.reps} repetition(s), repetitions as the outer loop; figures are medians. ` +
      'Only 200 responses carrying both access_token and refresh_token are counted' +
      (report.settings.works.includes('exchange-openid')
        ? ' (for the code exchange with openid, and id_token).'
        : '.'),
  );
  lines.push('');
  lines.push(...summaryTable(report));
  lines.push(...cpuTable(report));
  lines.push(...heapTable(report));
  lines.push(...storeTable(report));
  lines.push(...idTokenCost(report));
  for (const work of report.settings.works) {
    for (const connections of report.settings.connections) {
      lines.push('');
      lines.push(`## ${workName[work]}, ${connections} connections`);
      lines.push('');
      lines.push(
        '| target | req/s | spread (min–max, ±stdev) | × floor | p50 / p99 ms | CPU server / load gen |',
      );
      lines.push('| --- | ---: | --- | ---: | ---: | ---: |');
      for (const cell of report.cells.filter((c) => c.work === work && c.connections === connections)) {
        const t = cellText(cell);
        lines.push(
          `| ${names.get(cell.target)} | ${t.rps} | ${t.spread} | ${t.ratio} | ${t.latency} | ${t.cpu} |`,
        );
      }
    }
  }
  const notes = report.cells.filter(
    (c) => c.status !== 'ok' || c.runs.some((r) => r.exhausted || r.failed > 0),
  );
  if (notes.length > 0) {
    lines.push('');
    lines.push('## Notes on cells');
    lines.push('');
    // One line per target and reason, naming the works unless it is all of them.
    const why = (cell: CellResult) =>
      `${cell.status === 'unavailable' ? 'not available' : 'failed'}: ${(cell.reason ?? '').split('\n')[0]}`;
    const seen = new Set<string>();
    for (const cell of notes) {
      const label = `${names.get(cell.target)}, ${cell.work}, ${cell.connections} connections`;
      if (cell.status !== 'ok') {
        const key = `${cell.target}\n${why(cell)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const works = [
          ...new Set(
            notes
              .filter((c) => c.target === cell.target && c.status !== 'ok' && why(c) === why(cell))
              .map((c) => c.work),
          ),
        ];
        const which =
          works.length === report.settings.works.length
            ? ''
            : ` (${works.map((w) => workShort[w]).join(', ')})`;
        lines.push(`- ${names.get(cell.target)}${which}: ${why(cell)}`);
        continue;
      }
      for (const run of cell.runs) {
        if (run.exhausted)
          lines.push(`- ${label}: credentials ran out after ${run.seconds} s (rate over that time)`);
        if (run.failed > 0) {
          lines.push(
            `- ${label}: ${run.failed} responses not counted` +
              (run.firstFailure
                ? ` (first: ${run.firstFailure.status} ${run.firstFailure.body.slice(0, 120)})`
                : ''),
          );
        }
      }
    }
  }
  if (report.core !== undefined) {
    const c = report.core;
    lines.push('');
    lines.push('## Core alone (in process, MemoryGrantStore, no HTTP)');
    lines.push('');
    if (c.results.some((r) => r.exchangesOpenidPerSecond !== undefined)) {
      lines.push(
        '| crypto | code exchanges/s (µs each) | with openid/s (µs each) | ID Token, µs per exchange | refreshes/s |',
      );
      lines.push('| --- | ---: | ---: | ---: | ---: |');
      for (const r of c.results) {
        const o = r.exchangesOpenidPerSecond;
        lines.push(
          `| ${r.crypto} | ${int(r.exchangesPerSecond)} (${us(r.exchangesPerSecond).toFixed(1)}) | ` +
            (o === undefined
              ? ' | | '
              : `${int(o)} (${us(o).toFixed(1)}) | ${(us(o) - us(r.exchangesPerSecond)).toFixed(1)} | `) +
            `${int(r.refreshesPerSecond)} |`,
        );
      }
      if (c.results.some((r) => r.verificationsPerSecond !== undefined)) {
        lines.push('');
        lines.push('| crypto | bearer checks/s (µs each) | introspections/s (µs each) |');
        lines.push('| --- | ---: | ---: |');
        for (const r of c.results) {
          const v = r.verificationsPerSecond;
          const i = r.introspectionsPerSecond;
          lines.push(
            `| ${r.crypto} | ${v === undefined ? '' : `${int(v)} (${us(v).toFixed(1)})`} | ` +
              `${i === undefined ? '' : `${int(i)} (${us(i).toFixed(1)})`} |`,
          );
        }
      }
      lines.push('');
      lines.push(
        'With openid, the code is of an OpenID Connect grant (scope `openid api`, a nonce): the exchange also ' +
          'builds the ID Token claims and signs them (ES256, `@kraikub/jose`, with `at_hash`). The ID Token ' +
          'column is the difference of the two times per exchange (50 in flight, one core).',
      );
    } else {
      lines.push('| crypto | code exchanges/s | refreshes/s |');
      lines.push('| --- | ---: | ---: |');
      for (const r of c.results)
        lines.push(`| ${r.crypto} | ${int(r.exchangesPerSecond)} | ${int(r.refreshesPerSecond)} |`);
    }
    lines.push('');
    lines.push(
      `Memory per active grant (heap after GC, over ${int(c.grants)} grants): ` +
        `${int(c.bytesPerGrant)} bytes right after the exchange (code tombstone + access + refresh token), ` +
        `${int(c.bytesPerGrantAfterCodeExpiry)} bytes once the code tombstones have expired.`,
    );
    if (c.bytesPerInteraction !== undefined) {
      lines.push('');
      lines.push(
        `Memory per pending interaction (an anonymous authorization request parked while the user logs in, ` +
          `MemoryInteractionStore): ${int(c.bytesPerInteraction)} bytes; at the default cap of 10,000 pending ` +
          `interactions that is at most ${int((c.bytesPerInteraction * 10_000) / 1024 / 1024)} MiB.`,
      );
    }
  }
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  for (const t of report.targets)
    lines.push(`- **${t.name}**${t.node === undefined ? '' : ` (Node ${t.node})`}: ${t.notes}`);
  lines.push('');
  return lines.join('\n');
}

const palette: Record<string, string> = {
  floor: '#9ca3af',
  'floor-node22': '#9ca3af',
  'kraikub-memory': '#2563eb',
  'kraikub-memory-node22': '#2563eb',
  'kraikub-redis': '#60a5fa',
  'kraikub-postgres': '#93c5fd',
  jmondi: '#f59e0b',
  'jmondi-jwt': '#fcd34d',
  'node-oauth': '#10b981',
  'oidc-provider': '#ef4444',
  'oidc-provider-8': '#fca5a5',
};

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart, one panel per work and connection count, with min–max whiskers. */
export function svg(report: Report): string {
  const names = new Map(report.targets.map((t) => [t.id, t.name]));
  const width = 900;
  const label = 250;
  const barArea = width - label - 150;
  const row = 22;
  const panels: string[] = [];
  let y = 50;
  for (const work of report.settings.works) {
    for (const connections of report.settings.connections) {
      const cells = report.cells.filter((c) => c.work === work && c.connections === connections);
      const max = Math.max(1, ...cells.map((c) => c.summary?.max ?? 0));
      panels.push(
        `<text x="10" y="${y}" font-weight="bold">${xml(workName[work])}, ${connections} connections (req/s)</text>`,
      );
      y += 10;
      for (const cell of cells) {
        const s = cell.summary;
        const top = y + 4;
        panels.push(
          `<text x="${label - 8}" y="${top + 13}" text-anchor="end">${xml(names.get(cell.target) ?? cell.target)}</text>`,
        );
        if (s === undefined) {
          panels.push(
            `<text x="${label}" y="${top + 13}" fill="#6b7280">${cell.status === 'unavailable' ? 'not available' : 'failed'}</text>`,
          );
        } else {
          const w = (s.rps / max) * barArea;
          const x0 = label + (s.min / max) * barArea;
          const x1 = label + (s.max / max) * barArea;
          panels.push(
            `<rect x="${label}" y="${top}" width="${w.toFixed(1)}" height="${row - 6}" fill="${palette[cell.target] ?? '#6b7280'}"/>`,
          );
          if (cell.runs.length > 1) {
            const mid = top + (row - 6) / 2;
            panels.push(
              `<path d="M${x0.toFixed(1)} ${mid}H${x1.toFixed(1)}M${x0.toFixed(1)} ${mid - 4}v8M${x1.toFixed(1)} ${mid - 4}v8" stroke="#111827" fill="none"/>`,
            );
          }
          const ratio = s.ratio === undefined ? '' : `  ${s.ratio.toFixed(2)}×`;
          panels.push(
            `<text x="${(label + Math.max(w, x1 - label) + 6).toFixed(1)}" y="${top + 13}">${int(s.rps)}${ratio}</text>`,
          );
        }
        y += row;
      }
      y += 24;
    }
  }
  // CPU per successful request: the server's (its colour) and its store's (grey) stacked, and the bytes allocated.
  const cpuMedian = (cell: CellResult, of: (run: RunResult) => number | undefined) => {
    const values = defined(cell.runs.map(of));
    return values.length === 0 ? undefined : median(values);
  };
  for (const work of report.settings.works) {
    for (const connections of report.settings.connections) {
      const cells = report.cells.filter(
        (c) =>
          c.work === work &&
          c.connections === connections &&
          c.status === 'ok' &&
          cpuMedian(c, cpuPerRequest) !== undefined,
      );
      if (cells.length === 0) continue;
      const total = (c: CellResult) =>
        (cpuMedian(c, cpuPerRequest) ?? 0) + (cpuMedian(c, storeCpuPerRequest) ?? 0);
      const max = Math.max(1, ...cells.map(total));
      panels.push(
        `<text x="10" y="${y}" font-weight="bold">${xml(workName[work])}, ${connections} connections: µs CPU per successful request (median; grey: the store's)</text>`,
      );
      y += 10;
      for (const cell of cells) {
        const top = y + 4;
        const server = cpuMedian(cell, cpuPerRequest) ?? 0;
        const store = cpuMedian(cell, storeCpuPerRequest);
        const bytes = cpuMedian(cell, bytesPerRequest);
        // Narrower than the req/s bars: the label after the longest bar must fit.
        const w = (server / max) * (barArea - 140);
        const ws = ((store ?? 0) / max) * (barArea - 140);
        panels.push(
          `<text x="${label - 8}" y="${top + 13}" text-anchor="end">${xml(names.get(cell.target) ?? cell.target)}</text>`,
          `<rect x="${label}" y="${top}" width="${w.toFixed(1)}" height="${row - 6}" fill="${palette[cell.target] ?? '#6b7280'}"/>`,
        );
        if (store !== undefined)
          panels.push(
            `<rect x="${(label + w).toFixed(1)}" y="${top}" width="${ws.toFixed(1)}" height="${row - 6}" fill="#d1d5db"/>`,
          );
        const text =
          `${server.toFixed(1)}${store === undefined ? '' : ` + ${store.toFixed(1)}`} µs` +
          (bytes === undefined ? '' : `, ${int(bytes)} B allocated`);
        panels.push(`<text x="${(label + w + ws + 6).toFixed(1)}" y="${top + 13}">${xml(text)}</text>`);
        y += row;
      }
      y += 24;
    }
  }
  const m = report.machine;
  const title = `Token endpoint, successful requests per second (median of ${report.settings.reps}; whiskers min–max)`;
  const foot = `Node ${m.node}, ${m.cpus} cores, load average ${m.loadBefore[0]?.toFixed(2)} at start; × = ratio to the floor. ${report.startedAt.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 20}" viewBox="0 0 ${width} ${y + 20}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="15" font-weight="bold">${xml(title)}</text>`,
    ...panels,
    `<text x="10" y="${y + 5}" fill="#6b7280" font-size="11">${xml(foot)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Writes `latest.{md,json,svg}` and a dated copy under `bench/results/`, or
 * under `out` (a folder relative to `bench/`) when given. A smoke run writes
 * under `bench/results/smoke/` and never replaces a measurement.
 */
export function writeReport(report: Report, out?: string): string[] {
  const dir =
    out !== undefined
      ? `${benchDir}${out.replace(/\/*$/, '/')}`
      : report.settings.smoke
        ? `${benchDir}results/smoke/`
        : `${benchDir}results/`;
  mkdirSync(`${dir}history`, { recursive: true });
  const stamp = report.startedAt.slice(0, 16).replace(/:/g, '-');
  const files: [string, string][] = [
    ['md', markdown(report)],
    ['json', `${JSON.stringify(report, null, 2)}\n`],
    ['svg', svg(report)],
  ];
  const written: string[] = [];
  for (const [ext, text] of files) {
    const latest = `${dir}latest.${ext}`;
    writeFileSync(latest, text);
    if (!report.settings.smoke) copyFileSync(latest, `${dir}history/${stamp}.${ext}`);
    written.push(latest.slice(benchDir.length));
  }
  return written;
}

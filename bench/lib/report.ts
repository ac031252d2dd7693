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
    readonly refreshesPerSecond: number;
  }[];
  /** Heap bytes per grant right after its code was exchanged (code tombstone, access and refresh token). */
  readonly bytesPerGrant: number;
  /** Heap bytes per grant once the code tombstones expired (access and refresh token). */
  readonly bytesPerGrantAfterCodeExpiry: number;
  /** Heap bytes per pending interaction (an anonymous `GET /authorize` parked in `MemoryInteractionStore`). */
  readonly bytesPerInteraction?: number;
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
  readonly targets: readonly { readonly id: string; readonly name: string; readonly notes: string }[];
  readonly cells: readonly CellResult[];
  readonly core?: CoreResult;
}

const workName: Record<Work, string> = { exchange: 'code exchange', refresh: 'refresh (rotating)' };
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const load = (values: readonly number[]) => values.map((n) => n.toFixed(2)).join(' / ');

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
  const head = cellsOf.map(
    (c) => `${c.work === 'exchange' ? 'code exchange' : 'refresh'}, ${c.connections} conn.`,
  );
  const lines = [
    `| req/s (× floor) | ${head.join(' | ')} |`,
    `| --- | ${head.map(() => '---:').join(' | ')} |`,
  ];
  for (const target of report.targets) {
    const values = cellsOf.map(({ work, connections }) => {
      const cell = report.cells.find(
        (c) => c.target === target.id && c.work === work && c.connections === connections,
      );
      if (cell === undefined) return '';
      const s = cell.summary;
      if (cell.status !== 'ok' || s === undefined) return cell.status === 'unavailable' ? 'n/a' : 'failed';
      return `${int(s.rps)}${s.ratio === undefined || target.id === 'floor' ? '' : ` (${s.ratio.toFixed(2)}×)`}`;
    });
    lines.push(`| ${target.name} | ${values.join(' | ')} |`);
  }
  return lines;
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
      'Only 200 responses carrying both access_token and refresh_token are counted.',
  );
  lines.push('');
  lines.push(...summaryTable(report));
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
    const seen = new Set<string>();
    for (const cell of notes) {
      const label = `${names.get(cell.target)}, ${cell.work}, ${cell.connections} connections`;
      if (cell.status !== 'ok') {
        const text = `- ${names.get(cell.target)}: ${cell.status === 'unavailable' ? 'not available' : 'failed'}: ${(cell.reason ?? '').split('\n')[0]}`;
        if (!seen.has(text)) lines.push(text);
        seen.add(text);
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
    lines.push('| crypto | code exchanges/s | refreshes/s |');
    lines.push('| --- | ---: | ---: |');
    for (const r of c.results)
      lines.push(`| ${r.crypto} | ${int(r.exchangesPerSecond)} | ${int(r.refreshesPerSecond)} |`);
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
  for (const t of report.targets) lines.push(`- **${t.name}**: ${t.notes}`);
  lines.push('');
  return lines.join('\n');
}

const palette: Record<string, string> = {
  floor: '#9ca3af',
  'kraikub-memory': '#2563eb',
  'kraikub-redis': '#60a5fa',
  jmondi: '#f59e0b',
  'node-oauth': '#10b981',
  'oidc-provider': '#ef4444',
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

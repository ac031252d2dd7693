/**
 * The memory store's sweep at scale: how long one write holds the event loop
 * while a sweep runs (garbage collections observed apart), `sweep()` of the
 * whole store at once, and the heap per live grant. Run on an older commit,
 * the same file shows what the write that found a sweep due paid before.
 *
 *   cd bench && node --expose-gc --import tsx sweep.ts [--grants=500000] [--out=results/sweep]
 *
 * Each grant is an access token and a refresh token (two records), so 500 000
 * grants are a million records; half of them have expired when the sweep is
 * due. Nothing here goes over the network.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { MemoryGrantStore } from '@kraikub/adapter-memory';
import type { Clock, TokenIssue } from '@kraikub/core';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [name, value] = arg.replace(/^--/, '').split('=');
    return [name ?? '', value ?? ''];
  }),
);
const grants = Number(args.get('grants') ?? 500_000);
const outDir = args.get('out') ?? 'results/sweep';
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

class ManualClock implements Clock {
  time = Date.UTC(2026, 0, 1);
  now(): number {
    return this.time;
  }
}

const interval = 30_000;

function issue(i: number, now: number): TokenIssue {
  const grantId = `grant-${i.toString(36).padStart(8, '0')}`;
  // Half the grants (both records) expire before the sweep is due; half live on.
  const expiresAt = i % 2 === 0 ? now + 10_000 : now + 3_600_000;
  const record = { grantId, clientId: 'bench-client', scopes: ['profile'], issuedAt: now, expiresAt };
  return {
    grantId,
    accessToken: { key: { hash: `a${i.toString(36).padStart(42, '0')}`, grantId }, record },
    refreshToken: {
      key: { hash: `r${i.toString(36).padStart(42, '0')}`, grantId },
      record: { ...record, subject: 'user-1', expiresAt: expiresAt + (i % 2 === 0 ? 0 : 60_000) },
    },
  };
}

async function filled(sweepSlice?: number): Promise<{ store: MemoryGrantStore; clock: ManualClock }> {
  const clock = new ManualClock();
  const store = new MemoryGrantStore({
    clock,
    sweepIntervalMs: interval,
    ...(sweepSlice === undefined ? {} : { sweepSlice }),
  });
  for (let i = 0; i < grants; i++) await store.issueTokens(issue(i, clock.time));
  return { store, clock };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

// 1. Heap per live grant (two records), measured on a store with nothing expired yet.
gc();
const before = process.memoryUsage().heapUsed;
const { store: measured } = await filled();
gc();
const bytesPerGrant = (process.memoryUsage().heapUsed - before) / grants;
const records = measured.size;

// 2. The whole store in one go: what the write that started a sweep used to pay.
const whole: number[] = [];
for (let run = 0; run < 3; run++) {
  const { store, clock } = await filled();
  clock.time += interval + 1;
  gc();
  const start = performance.now();
  store.sweep();
  whole.push(performance.now() - start);
}

// 3. Sliced: the sweep advances a slice per write; time every write until it is done.
gc();
const { store, clock } = await filled();
clock.time += interval + 1;
const sizeBefore = store.size;
// Garbage collections while the sliced sweep runs: the engine's pauses, told apart from the store's work.
const pauses: { start: number; end: number }[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
});
observer.observe({ entryTypes: ['gc'] });
const spans: { start: number; end: number }[] = [];
const writes: number[] = [];
let next = grants;
const sweepStart = performance.now();
while (writes.length < 1_000_000) {
  const write = issue(next++, clock.time);
  const start = performance.now();
  await store.issueTokens(write);
  const end = performance.now();
  writes.push(end - start);
  spans.push({ start, end });
  // Done when every expired record is gone: half the grants, plus the new live ones.
  if (store.size === sizeBefore / 2 + 2 * writes.length) break;
  if (writes.length === 1) console.log(`sweep started; store ${sizeBefore} records`);
}
const sweepWall = performance.now() - sweepStart;
await new Promise((resolve) => setTimeout(resolve, 50));
observer.disconnect();
const overlapsGc = (span: { start: number; end: number }) =>
  pauses.some((pause) => pause.start < span.end && pause.end > span.start);
const withoutGc = spans
  .filter((span) => !overlapsGc(span))
  .map((span) => span.end - span.start)
  .sort((a, b) => a - b);
const gcPauses = pauses.map((pause) => pause.end - pause.start).sort((a, b) => a - b);
const sorted = [...writes].sort((a, b) => a - b);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  grants,
  records,
  bytesPerGrant: Math.round(bytesPerGrant),
  wholeStoreSweepMs: whole.map((ms) => Math.round(ms * 10) / 10),
  sliced: {
    slice: 64,
    writesToFinish: writes.length,
    writeMaxMs: Math.round((sorted.at(-1) ?? 0) * 1000) / 1000,
    writeP99Ms: Math.round(percentile(sorted, 99) * 1000) / 1000,
    writeP50Ms: Math.round(percentile(sorted, 50) * 1000) / 1000,
    writeMaxWithoutGcMs: Math.round((withoutGc.at(-1) ?? 0) * 1000) / 1000,
    writesDuringGc: spans.length - withoutGc.length,
    gcPauses: gcPauses.length,
    gcMaxMs: Math.round((gcPauses.at(-1) ?? 0) * 10) / 10,
    wallMs: Math.round(sweepWall),
  },
};

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
const md = `# Memory store sweep, ${result.date.slice(0, 10)} (${result.node})

${grants.toLocaleString('en')} grants (an access and a refresh token each: ${records.toLocaleString('en')} records), half expired when the sweep is due.

| what | figure |
| --- | --- |
| heap per live grant (two records) | ${result.bytesPerGrant} B |
| whole store swept in one go (3 runs) | ${result.wholeStoreSweepMs.join(', ')} ms |
| sliced sweep: longest write | ${result.sliced.writeMaxMs} ms |
| sliced sweep: p99 / p50 write | ${result.sliced.writeP99Ms} / ${result.sliced.writeP50Ms} ms |
| sliced sweep: longest write with no garbage collection in it | ${result.sliced.writeMaxWithoutGcMs} ms |
| garbage collections meanwhile (longest) | ${result.sliced.gcPauses} (${result.sliced.gcMaxMs} ms), overlapping ${result.sliced.writesDuringGc} writes |
| writes until the sliced sweep is done | ${result.sliced.writesToFinish.toLocaleString('en')} (${result.sliced.wallMs} ms in all) |
`;
writeFileSync(join(outDir, 'latest.md'), md);
console.log(md);

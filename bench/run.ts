/**
 * `pnpm bench`: the token endpoint of Kraikub against the providers people
 * would otherwise pick, doing the same work, on the same machine, in one run.
 *
 * For each repetition, for each target, work (code exchange, refresh, and
 * with `--works` the code exchange with openid) and connection count: start
 * the target on core 0, pre-mint credentials through its own API, warm up,
 * then measure a timed window from core 1. Repetitions are the outer loop,
 * so drift in machine load spreads over every target.
 *
 *   pnpm bench                     full run (about 14 minutes on 2 cores)
 *   pnpm bench --smoke             a second per cell, one repetition, 50 connections (CI), every work
 *   pnpm bench --targets=floor,kraikub-memory --works=exchange --connections=50
 *   pnpm bench --targets=kraikub-memory,oidc-provider --works=exchange,exchange-openid
 *   pnpm bench --targets=floor-node22,kraikub-memory-node22,oidc-provider   (the Node 22 rows)
 *   options: --reps=N --warmup=S --duration=S --no-build --no-core
 *            --out=DIR (a folder under bench/ for the report instead of results/)
 *   pnpm bench --render=results/latest.json   re-render a report's Markdown and SVG
 */
import { execFileSync, execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { bodyFor, type PhaseResult, runPhase, validate } from './lib/load.ts';
import { benchDir, pinning, pinSelf, spawnNode, startTarget, stayOnHostNode } from './lib/process.ts';
import { allWorks, type Work } from './lib/protocol.ts';
import { type CellResult, type CoreResult, type Report, type RunResult, writeReport } from './lib/report.ts';
import { median, stdev } from './lib/stats.ts';
import { targets as allTargets, extraTargets, floorOf, type TargetSpec } from './lib/targets.ts';

// `pnpm bench` starts this on the `node` devDependency's Node 22 (pnpm puts its bin first on PATH):
// run again on the machine's Node, which runs the load generator and every target without a runtime.
stayOnHostNode();

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const list = (name: string) => option(name)?.split(',').filter(Boolean);

const smoke = flag('smoke');
/**
 * A full run measures the code exchange and refresh; the code exchange with
 * openid (`exchange-openid`) is asked for with `--works`. A smoke run does
 * every work, so none of them rots.
 */
const defaultWorks: readonly Work[] = smoke ? allWorks : ['exchange', 'refresh'];
const settings = {
  smoke,
  reps: Number(option('reps') ?? (smoke ? 1 : 3)),
  warmup: Number(option('warmup') ?? (smoke ? 0.3 : 2)),
  duration: Number(option('duration') ?? (smoke ? 1 : 5)),
  works: (list('works') ?? defaultWorks) as Work[],
  // A smoke run checks that every target and work runs: one connection count is enough, and halves it.
  connections: (list('connections') ?? (smoke ? ['50'] : ['10', '50'])).map(Number),
};
const unknownWorks = settings.works.filter((work) => !allWorks.includes(work));
if (unknownWorks.length > 0)
  throw new Error(`no such work: ${unknownWorks.join(', ')} (one of ${allWorks.join(', ')})`);
const chosen = list('targets');
const targets =
  chosen === undefined ? allTargets : [...allTargets, ...extraTargets].filter((t) => chosen.includes(t.id));
if (targets.length === 0) throw new Error(`no such target: ${chosen?.join(', ')}`);

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Requests per second a cell reached last time: sizes the next batch of credentials. */
const rateMemo = new Map<string, number>();
const firstGuess = 8000;
/**
 * Credentials minted per expected request: 1.5 times the best rate seen (the
 * warm-up's on the first repetition, the earlier windows' after that). A window
 * that runs out is cut short and says so.
 */
const marginFor = (_key: string) => 1.5;

/** The Node each target ran on, as it said when ready. */
const nodeOfTarget = new Map<string, string>();

/** `after − before` of every counter present in both. */
function difference(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .filter(([name]) => before[name] !== undefined)
      .map(([name, value]) => [name, value - (before[name] as number)]),
  );
}

async function runCell(spec: TargetSpec, work: Work, connections: number): Promise<RunResult | string> {
  const started = await startTarget(spec.file, { ...spec.env }, [], spec.runtime);
  if (started.kind !== 'ready') throw Object.assign(new Error(started.reason), { kind: started.kind });
  const { target } = started;
  nodeOfTarget.set(spec.id, target.node);
  const { endpoint } = target;
  const key = `${spec.id}/${work}/${connections}`;
  try {
    const mintBodies = async (count: number) =>
      (await target.mint(work, count)).map((credential) => bodyFor(work, endpoint, credential));

    const [probe] = await target.mint(work, 1);
    const problem = await validate(endpoint, work, probe as string, {
      atHash: spec.idTokenWithoutAtHash === undefined,
    });
    if (problem !== undefined) return `validation failed: ${problem}`;

    // Warm-up: keep the target busy for the whole warm-up, minting more if it runs out.
    // The fastest rate seen sizes the window's batch (a cold start only ever underestimates).
    let rate = rateMemo.get(key) ?? firstGuess;
    let left = settings.warmup;
    while (left > 0.05) {
      const bodies = await mintBodies(Math.ceil(rate * left * marginFor(key)) + connections * 4);
      const warm = await runPhase(endpoint, work, bodies, connections, left, target.pid);
      if (warm.ok > 0 && warm.seconds > 0) rate = Math.max(rate, warm.ok / warm.seconds);
      left -= warm.seconds;
      if (!warm.exhausted) break;
    }

    const mintStart = performance.now();
    const bodies = await mintBodies(Math.ceil(rate * settings.duration * marginFor(key)) + connections * 4);
    const mintSeconds = (performance.now() - mintStart) / 1000;
    // The store's counters and processes, and the heap, around the window (over IPC, outside it).
    const storeBefore = await target.stats();
    await target.heap('start');
    const generatorBefore = process.cpuUsage();
    const phase: PhaseResult = await runPhase(
      endpoint,
      work,
      bodies,
      connections,
      settings.duration,
      target.pid,
      [...new Set([...target.storePids, ...storeBefore.pids])],
    );
    const generator = process.cpuUsage(generatorBefore);
    const heap = await target.heap('stop');
    const storeAfter = await target.stats();
    const store = difference(storeBefore.counters, storeAfter.counters);
    const rps = phase.ok / phase.seconds;
    rateMemo.set(key, Math.max(rps, rateMemo.get(key) ?? 0));
    return {
      rps,
      ok: phase.ok,
      responses: phase.responses,
      ...(phase.sent === undefined ? {} : { sent: phase.sent }),
      failed: phase.responses - phase.ok,
      errors: phase.errors + phase.timeouts,
      p50: phase.p50,
      p99: phase.p99,
      seconds: phase.seconds,
      exhausted: phase.exhausted,
      serverCpu: phase.serverCpu,
      minted: bodies.length,
      mintSeconds,
      generatorCpu: (generator.user + generator.system) / 1e6 / phase.seconds,
      ...(phase.firstFailure === undefined ? {} : { firstFailure: phase.firstFailure }),
      ...(phase.storeCpu === undefined ? {} : { storeCpu: phase.storeCpu }),
      ...(Object.keys(store).length === 0 ? {} : { store }),
      allocatedBytes: heap.allocatedBytes,
      gcCount: heap.gcCount,
      gcMicros: heap.gcMicros,
    };
  } finally {
    await target.stop();
  }
}

async function runCore(): Promise<CoreResult | undefined> {
  const child = spawnNode('core.ts', { flags: ['--expose-gc'], args: smoke ? ['--smoke'] : [] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    log(`core micro-benchmark failed (exit ${code})`);
    return undefined;
  }
  return JSON.parse(out.trim().split('\n').at(-1) as string) as CoreResult;
}

/** Re-renders a JSON report (after a change to the Markdown or SVG layout, or the target notes). */
function render(file: string): number {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const specs = new Map([...allTargets, ...extraTargets].map((t) => [t.id, t]));
  const targetsNow = report.targets.map((t) => ({
    ...t,
    notes: specs.get(t.id)?.notes ?? t.notes,
    floor: t.floor ?? floorOf(specs.get(t.id)?.runtime),
  }));
  log(`written: ${writeReport({ ...report, targets: targetsNow }, option('out')).join(', ')}`);
  return 0;
}

/** Cores of the machine, counted before this process pins itself to one. */
const cpus = availableParallelism();

async function main(): Promise<number> {
  const rendering = option('render');
  if (rendering !== undefined) return render(rendering);
  if (!flag('no-build')) {
    log('building the packages (measure what users get: dist)...');
    execSync('pnpm build', { cwd: `${benchDir}..`, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  pinSelf(1);
  const loadBefore = loadavg();
  const cells = new Map<string, CellResult>();
  for (const spec of targets) {
    for (const work of settings.works) {
      for (const connections of settings.connections) {
        // A work the target cannot do (an ID Token without OpenID Connect) is not available, never run.
        const cannot = spec.unsupported?.[work];
        cells.set(`${spec.id}/${work}/${connections}`, {
          target: spec.id,
          work,
          connections,
          status: cannot === undefined ? 'ok' : 'unavailable',
          ...(cannot === undefined ? {} : { reason: cannot }),
          runs: [],
        });
      }
    }
  }
  const unavailable = new Map<string, string>();
  const startedAt = new Date();
  log(
    `load average ${loadBefore.map((n) => n.toFixed(2)).join(' ')}; pinning ${pinning ? 'server core 0, load core 1' : 'off'}`,
  );

  for (const spec of targets) {
    for (const work of settings.works) {
      const cannot = spec.unsupported?.[work];
      if (cannot !== undefined) log(`${spec.id} ${work}: not available: ${cannot}`);
    }
  }

  const core = flag('no-core') ? undefined : await runCore();
  if (core !== undefined) log(`core: ${JSON.stringify(core)}`);

  for (let rep = 1; rep <= settings.reps; rep++) {
    for (const spec of targets) {
      for (const work of settings.works) {
        for (const connections of settings.connections) {
          const cell = cells.get(`${spec.id}/${work}/${connections}`) as CellResult;
          if (cell.status !== 'ok') continue;
          if (unavailable.has(spec.id)) {
            cell.status = 'unavailable';
            cell.reason = unavailable.get(spec.id);
            continue;
          }
          try {
            const result = await runCell(spec, work, connections);
            if (typeof result === 'string') {
              cell.status = 'failed';
              cell.reason = result;
              log(`${spec.id} ${work} c=${connections} rep ${rep}: FAILED ${result}`);
              continue;
            }
            cell.runs.push(result);
            log(
              `${spec.id.padEnd(15)} ${work.padEnd(15)} c=${String(connections).padEnd(3)} rep ${rep}: ` +
                `${result.rps.toFixed(0).padStart(6)} rps  p50 ${result.p50} ms  p99 ${result.p99} ms  ` +
                `server cpu ${result.serverCpu === undefined ? '?' : `${(result.serverCpu * 100).toFixed(0)}%`}  ` +
                `load cpu ${(result.generatorCpu * 100).toFixed(0)}%  ` +
                (result.storeCpu === undefined ? '' : `store cpu ${(result.storeCpu * 100).toFixed(0)}%  `) +
                (result.store?.roundTrips === undefined || !result.sent
                  ? ''
                  : `${(result.store.roundTrips / result.sent).toFixed(2)} trips/req  `) +
                `${result.allocatedBytes === undefined || result.ok === 0 ? '' : `${Math.round(result.allocatedBytes / result.ok)} B/req  `}minted ${result.minted} in ${result.mintSeconds.toFixed(1)} s` +
                (result.failed > 0 ? `  not counted ${result.failed}` : '') +
                (result.exhausted ? '  (credentials ran out: window cut short)' : ''),
            );
          } catch (error) {
            const kind = (error as { kind?: string }).kind;
            const reason = (error as Error).message;
            if (kind === 'unavailable') {
              unavailable.set(spec.id, reason);
              cell.status = 'unavailable';
            } else cell.status = 'failed';
            cell.reason = reason;
            log(`${spec.id} ${work} c=${connections}: ${cell.status}: ${reason.split('\n')[0]}`);
          }
        }
      }
    }
  }

  for (const cell of cells.values()) {
    if (cell.status !== 'ok') continue;
    const rps = cell.runs.map((r) => r.rps);
    cell.summary = {
      rps: median(rps),
      min: Math.min(...rps),
      max: Math.max(...rps),
      stdev: stdev(rps),
      p50: median(cell.runs.map((r) => r.p50)),
      p99: median(cell.runs.map((r) => r.p99)),
    };
  }
  for (const cell of cells.values()) {
    const spec = targets.find((t) => t.id === cell.target);
    const floorId = floorOf(spec?.runtime);
    const floor = cells.get(`${floorId}/${cell.work}/${cell.connections}`)?.summary?.rps;
    if (cell.summary !== undefined && floor !== undefined && floor > 0) {
      cell.summary.ratio = cell.summary.rps / floor;
    }
  }

  const report: Report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings,
    machine: {
      node: process.version,
      cpus,
      cpuModel: cpuModel(),
      pinning,
      loadBefore,
      loadAfter: loadavg(),
    },
    targets: targets.map((t) => ({
      id: t.id,
      name: t.name,
      notes: t.notes,
      floor: floorOf(t.runtime),
      ...(nodeOfTarget.has(t.id) ? { node: nodeOfTarget.get(t.id) as string } : {}),
    })),
    cells: [...cells.values()],
    ...(core === undefined ? {} : { core }),
  };
  const written = writeReport(report, option('out'));
  log(`\nwritten: ${written.join(', ')}`);
  process.stdout.write(`${written.length > 0 ? '' : ''}`);

  // Fail on a target that did not start or measure, and on a Kraikub target with no success.
  let status = 0;
  for (const cell of cells.values()) {
    const spec = targets.find((t) => t.id === cell.target) as TargetSpec;
    if (cell.status === 'failed') {
      log(`FAIL ${cell.target} ${cell.work} c=${cell.connections}: ${cell.reason}`);
      status = 1;
    } else if (spec.kraikub && cell.status === 'ok' && cell.runs.every((r) => r.ok === 0)) {
      log(`FAIL ${cell.target} ${cell.work} c=${cell.connections}: no successful response counted`);
      status = 1;
    }
  }
  if (core === undefined && !flag('no-core')) status = 1;
  return status;
}

function cpuModel(): string {
  try {
    return (
      execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], {
        encoding: 'utf8',
      }).trim() || 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

/**
 * The paths every API call takes, over HTTP: a protected resource checking
 * a bearer token, and introspection (RFC 7662), with opaque and with JWT
 * (RFC 9068) access tokens, for Kraikub and for a bare `node:http` floor.
 *
 *   cd bench && node --import tsx api.ts [--smoke] [--reps=5] [--warmup=2] [--duration=5]
 *     [--connections=50] [--tokens=20000] [--out=results/api] [--targets=kraikub-jwt,...] [--profile=DIR]
 *
 * Each target (`targets/api-kraikub.ts`, `targets/api-floor.ts`, once per
 * format) runs as its own process pinned to core 0; the load comes from
 * this process pinned to core 1 (autocannon, keep-alive, one request in
 * flight per connection). Per cell: successful requests per second, p50 and
 * p99 latency timed per request, and the server's CPU µs per successful
 * request from /proc, as median and min–max over the repetitions (the
 * outer loop: each repetition starts every target afresh, and turns the
 * order of its works, since the first window of a fresh process runs the
 * least warm).
 *
 * Tokens are minted before the windows through each target's own API
 * (Kraikub: `approve` + the code exchange) and reused round robin: these
 * are read paths, a token stays valid however often it is checked.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { basic } from './lib/kraikub.ts';
import { benchDir, pinning, pinSelf } from './lib/process.ts';
import {
  type ApiTarget,
  argsOf,
  cell,
  loadWindow,
  machine,
  type PlannedRequest,
  type Spread,
  spread,
  startApiTarget,
  type WindowResult,
} from './targets/api-load.ts';

const args = argsOf(process.argv.slice(2));
const smoke = args.has('smoke');
const reps = Number(args.get('reps') || (smoke ? 1 : 5));
const warmup = Number(args.get('warmup') || (smoke ? 0.2 : 2));
const duration = Number(args.get('duration') || (smoke ? 0.5 : 5));
const connections = Number(args.get('connections') || 50);
const tokenCount = Number(args.get('tokens') || (smoke ? 200 : 20_000));
const outArg = args.get('out') || (smoke ? '/tmp/kraikub-bench-api-smoke' : 'results/api');
const outDir = isAbsolute(outArg) ? outArg : join(benchDir, outArg);
/** Only these targets (ids, comma-separated: floor-opaque, kraikub-opaque, floor-jwt, kraikub-jwt). */
const only = args
  .get('targets')
  ?.split(',')
  .filter((id) => id !== '');
/** Write a V8 CPU profile of each target process (whole life, warm-up and minting included) into this directory. */
const profileDir = args.get('profile');

type Format = 'opaque' | 'jwt';
/**
 * `bearer`: GET /api/me (signature, if any, and store); `bearer-sig`: GET /api/me-sig (JWT signature alone);
 * `bearer-fetch` (Kraikub only): GET /api/me-fetch, the `bearer` check as a Fetch route in the handler's
 * `fallback` (a Web `Request` and `Response` per call); `introspect`: POST /introspect.
 */
type Work = 'bearer' | 'bearer-sig' | 'bearer-fetch' | 'introspect';

interface TargetSpec {
  readonly id: string;
  readonly name: string;
  readonly file: string;
  readonly format: Format;
  readonly floor: boolean;
}

const formats: readonly Format[] = ['opaque', 'jwt'];
const specs: readonly TargetSpec[] = formats.flatMap((format) => [
  { id: `floor-${format}`, name: `floor (node:http), ${format}`, file: 'api-floor.ts', format, floor: true },
  {
    id: `kraikub-${format}`,
    name: `Kraikub + adapter-memory, ${format}`,
    file: 'api-kraikub.ts',
    format,
    floor: false,
  },
]);
const worksOf = (spec: TargetSpec): readonly Work[] => [
  'bearer',
  ...(spec.format === 'jwt' ? (['bearer-sig'] as const) : []),
  ...(spec.floor ? [] : (['bearer-fetch'] as const)),
  'introspect',
];

const subjectJson = '"sub":"user-1"';
const success: Record<Work, (status: number, body: string) => boolean> = {
  bearer: (status, body) => status === 200 && body.includes(subjectJson),
  'bearer-sig': (status, body) => status === 200 && body.includes(subjectJson),
  'bearer-fetch': (status, body) => status === 200 && body.includes(subjectJson),
  introspect: (status, body) => status === 200 && body.includes('"active":true'),
};

function plan(work: Work, tokens: readonly string[]): PlannedRequest[] {
  if (work === 'introspect') {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
    return tokens.map((token) => ({
      method: 'POST',
      path: '/introspect',
      headers,
      body: `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
    }));
  }
  const path = { bearer: '/api/me', 'bearer-sig': '/api/me-sig', 'bearer-fetch': '/api/me-fetch' }[work];
  return tokens.map((token) => ({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } }));
}

/**
 * A token that looks right but is not valid: its tenth character from the end changed (in a JWT, inside
 * the signature). Not the last one: base64url's last character carries padding bits that decoders ignore,
 * so changing only those leaves the same signature (a first version of this check was fooled by that).
 */
const forged = (token: string) => {
  const at = token.length - 10;
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
};

/** Outside the windows: each path answers a valid token with success and a forged one without. */
async function validate(target: ApiTarget, spec: TargetSpec, token: string): Promise<void> {
  const base = `http://127.0.0.1:${target.port}`;
  const problems: string[] = [];
  for (const work of worksOf(spec)) {
    const [request] = plan(work, [token]);
    const [bad] = plan(work, [forged(token)]);
    for (const [label, planned, want] of [
      ['valid', request, true],
      ['forged', bad, false],
    ] as const) {
      if (planned === undefined) continue;
      const response = await fetch(`${base}${planned.path}`, {
        method: planned.method,
        headers: planned.headers,
        ...(planned.body === undefined ? {} : { body: planned.body }),
      });
      const text = await response.text();
      if (success[work](response.status, text) !== want)
        problems.push(`${work} with a ${label} token: ${response.status} ${text.slice(0, 200)}`);
      if (!want && work !== 'introspect' && response.status !== 401)
        problems.push(`${work} with a forged token: ${response.status}, not 401`);
    }
  }
  const anonymous = await fetch(`${base}/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${encodeURIComponent(token)}`,
  });
  await anonymous.text();
  if (anonymous.status !== 401)
    problems.push(`introspection without client authentication: ${anonymous.status}`);
  if (problems.length > 0) throw new Error(`validation failed:\n  ${problems.join('\n  ')}`);
}

interface Run extends WindowResult {
  readonly rep: number;
  readonly mintSeconds: number;
}

interface CellReport {
  readonly target: string;
  readonly name: string;
  readonly format: Format;
  readonly work: Work;
  readonly runs: Run[];
  summary?: {
    readonly rps: Spread | undefined;
    readonly p50: Spread | undefined;
    readonly p99: Spread | undefined;
    readonly cpuUsPerOk: Spread | undefined;
    /** The floor's successful req/s over this target's, paired by repetition. */
    readonly floorOverRps?: Spread | undefined;
    /** This target's CPU µs per request over the floor's, paired by repetition. */
    readonly cpuOverFloor?: Spread | undefined;
  };
}

async function main(): Promise<void> {
  pinSelf(1);
  const before = machine();
  const startedAt = new Date().toISOString();
  console.log(
    `api paths: ${specs.length} targets × their works, ${reps} repetition(s), ${warmup} s warm-up + ${duration} s window, ` +
      `${connections} connections, ${tokenCount} tokens per target reused round robin; ` +
      `${pinning ? 'server on core 0, load on core 1' : 'NOT pinned (no taskset or one core)'}; load average ${String(before.loadAverage)}`,
  );
  const cells = new Map<string, CellReport>();
  for (let rep = 1; rep <= reps; rep++) {
    for (const spec of specs) {
      if (only !== undefined && !only.includes(spec.id)) continue;
      const target = await startApiTarget(
        spec.file,
        { API_FORMAT: spec.format },
        profileDir === undefined
          ? []
          : // One file per thread (tsx's loader has a thread of its own): the main thread's is the largest.
            ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${spec.id}-${rep}`)}`],
      );
      try {
        const mintStart = performance.now();
        const tokens = await target.call<string[]>('mint', { count: tokenCount });
        const mintSeconds = (performance.now() - mintStart) / 1000;
        await validate(target, spec, tokens[0] as string);
        // The works' order turns with each repetition: the first window of a fresh process runs least warm.
        const works = worksOf(spec);
        const order = works.map((_, i) => works[(i + rep - 1) % works.length] as Work);
        for (const work of order) {
          const result = await loadWindow({
            port: target.port,
            pid: target.pid,
            connections,
            warmup,
            duration,
            requests: plan(work, tokens),
            cycle: true,
            success: success[work],
          });
          const key = `${spec.id}/${work}`;
          const report = cells.get(key) ?? {
            target: spec.id,
            name: spec.name,
            format: spec.format,
            work,
            runs: [],
          };
          report.runs.push({ ...result, rep, mintSeconds: Math.round(mintSeconds * 100) / 100 });
          cells.set(key, report);
          console.log(
            `rep ${rep} ${spec.id} ${work}: ${result.rps.toLocaleString('en')} req/s, p50 ${result.p50} ms, ` +
              `p99 ${result.p99} ms, ${result.cpuUsPerOk ?? '?'} µs CPU/req (server CPU ${result.serverCpu ?? '?'})` +
              (result.ok < result.responses
                ? `, ${result.responses - result.ok} failed: ${JSON.stringify(result.firstFailure)}`
                : ''),
          );
        }
      } finally {
        await target.stop();
      }
      await sleep(200);
    }
  }
  const after = machine();
  for (const report of cells.values()) {
    const runs = report.runs;
    const floor = report.target.startsWith('floor')
      ? undefined
      : cells.get(`floor-${report.format}/${report.work}`);
    const paired = (f: (mine: Run, theirs: Run) => number | undefined) =>
      floor === undefined
        ? undefined
        : spread(
            runs.map((run) => {
              const theirs = floor.runs.find((r) => r.rep === run.rep);
              return theirs === undefined ? undefined : f(run, theirs);
            }),
          );
    report.summary = {
      rps: spread(runs.map((r) => r.rps)),
      p50: spread(runs.map((r) => r.p50)),
      p99: spread(runs.map((r) => r.p99)),
      cpuUsPerOk: spread(runs.map((r) => r.cpuUsPerOk)),
      ...(floor === undefined
        ? {}
        : {
            floorOverRps: paired((mine, theirs) => (mine.rps === 0 ? undefined : theirs.rps / mine.rps)),
            cpuOverFloor: paired((mine, theirs) =>
              mine.cpuUsPerOk === undefined || theirs.cpuUsPerOk === undefined
                ? undefined
                : mine.cpuUsPerOk / theirs.cpuUsPerOk,
            ),
          }),
    };
  }
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: { smoke, reps, warmup, duration, connections, tokens: tokenCount, tokensReused: true },
    machine: { ...before, loadAverageBefore: before.loadAverage, loadAverageAfter: after.loadAverage },
    cells: [...cells.values()],
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report);
  writeFileSync(join(outDir, 'latest.md'), md);
  console.log(`\n${md}\nwritten to ${outDir}`);
  const empty = [...cells.values()].filter(
    (c) => !c.target.startsWith('floor') && c.runs.some((r) => r.ok === 0),
  );
  if (empty.length > 0) {
    console.error(`no successful response in: ${empty.map((c) => `${c.target}/${c.work}`).join(', ')}`);
    process.exitCode = 1;
  }
}

const workTitle: Record<Work, string> = {
  bearer: 'bearer check (`GET /api/me`)',
  'bearer-sig': 'bearer check by signature alone (`GET /api/me-sig`)',
  'bearer-fetch': "bearer check as a Fetch route in the handler's `fallback` (`GET /api/me-fetch`)",
  introspect: 'introspection (`POST /introspect`)',
};

function markdown(report: {
  startedAt: string;
  settings: Record<string, unknown>;
  machine: Record<string, unknown>;
  cells: CellReport[];
}): string {
  const m = report.machine;
  const lines = [
    `# The paths every API call takes, over HTTP (${report.startedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Node ${String(m.node)}, ${String(m.cpus)} × ${String(m.cpuModel)}, ${m.pinning ? 'server pinned to core 0, load to core 1' : 'not pinned'}; ` +
      `load average ${String(m.loadAverageBefore)} before, ${String(m.loadAverageAfter)} after. ` +
      `${String(report.settings.reps)} repetition(s) of ${String(report.settings.warmup)} s warm-up + ${String(report.settings.duration)} s, ` +
      `${String(report.settings.connections)} connections, one request in flight each. ` +
      `${String(report.settings.tokens)} access tokens per target, minted through its own API before the windows and reused round robin (read paths).`,
    '',
    `Median (min–max) over the repetitions. Only successes count: the resource's 200 with the subject, introspection's \`"active":true\`. ` +
      "CPU is the server process's user + system time over the window (every thread) per successful request. " +
      "× floor: the floor's req/s over the target's, and the target's CPU per request over the floor's, paired by repetition.",
    '',
  ];
  for (const work of ['bearer', 'bearer-sig', 'bearer-fetch', 'introspect'] as const) {
    const rows = report.cells.filter((c) => c.work === work);
    if (rows.length === 0) continue;
    lines.push(`## ${workTitle[work]}`, '');
    lines.push('| target | req/s | p50 ms | p99 ms | CPU µs/req | floor ÷ it (req/s) | CPU × floor |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const c of rows) {
      const s = c.summary;
      const failed = c.runs.reduce((n, r) => n + r.responses - r.ok, 0);
      lines.push(
        `| ${c.name}${failed > 0 ? ` (${failed} failed)` : ''} | ${cell(s?.rps)} | ${cell(s?.p50, 2)} | ${cell(s?.p99, 2)} | ` +
          `${cell(s?.cpuUsPerOk, 1)} | ${s?.floorOverRps === undefined ? '' : cell(s.floorOverRps, 2)} | ` +
          `${s?.cpuOverFloor === undefined ? '' : cell(s.cpuOverFloor, 2)} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '- Kraikub: core + `MemoryGrantStore` + adapter-http `createHandler` via `toNodeHandler`, `nodeCrypto`, an ES256 `@kraikub/jose` signer; ' +
      'one resource server (`https://api.example.com`, scope `api`) whose access tokens are opaque or RFC 9068 JWTs. ' +
      '`/api/me` is a `node:http` route in front of `toNodeHandler` calling `verifyBearerHeader(server, req.headers.authorization, { scopes, audience })`: a store lookup, and for a JWT first its signature; ' +
      '`/api/me-sig` calls `verifyBearerHeader(createJwtAccessTokenVerifier({ jwks: server.jwks() }), ...)`: the signature alone; ' +
      "`/api/me-fetch` is the `/api/me` check as a Fetch route (the handler's `fallback`, `verifyBearer(server, request, ...)`), as the README's Fetch example writes it. `/introspect` is the handler's endpoint.",
    '- Floor: bare `node:http`; opaque: SHA-256 and a `Map`; JWT: `jose` 6 `jwtVerify` (ES256) then SHA-256 and the `Map` (`/api/me`) or the signature alone (`/api/me-sig`); ' +
      'introspection: HTTP Basic in constant time, SHA-256 and the `Map` (no signature check, for JWTs too).',
    '',
  );
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

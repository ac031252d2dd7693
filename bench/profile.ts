/**
 * Profiles one target under load with the V8 CPU profiler (what `node --cpu-prof` uses),
 * then a summary of where its CPU time went (self time by function and by
 * package). The raw `.cpuprofile` stays in `bench/tmp/profiles/` for Chrome
 * DevTools or speedscope.
 *
 *   node --import tsx profile.ts --target=kraikub-memory --work=exchange --connections=50 --seconds=10
 *   node --import tsx profile.ts --target=kraikub-memory --work=exchange-openid   (an ID Token per request)
 *   KRAIKUB_CRYPTO=web node --import tsx profile.ts ...   (the portable Web Crypto default)
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { bodyFor, runPhase } from './lib/load.ts';
import { benchDir, pinSelf, startTarget } from './lib/process.ts';
import type { Work } from './lib/protocol.ts';
import { extraTargets, targets } from './lib/targets.ts';

const option = (name: string, fallback: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const id = option('target', 'kraikub-memory');
const work = option('work', 'exchange') as Work;
const connections = Number(option('connections', '50'));
const seconds = Number(option('seconds', '10'));
const found = [...targets, ...extraTargets].find((t) => t.id === id);
if (found === undefined) throw new Error(`no such target: ${id}`);
const spec = found;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string): string {
  if (url === '') return '(native / VM)';
  if (url.startsWith('node:')) return `node:${url.replace(/^node:(internal\/)?/, '')}`;
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pnpm) return pnpm[1] as string;
  const kraikub = url.match(/packages\/([^/]+)\//);
  if (kraikub) return `@kraikub/${kraikub[1]}`;
  return url.replace(/^file:\/\//, '').replace(benchDir, 'bench/');
}

function summarise(profile: Profile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((sample, i) => {
    self.set(sample, (self.get(sample) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [nodeId, time] of self) {
    const frame = (byId.get(nodeId) as Node).callFrame;
    const name = `${frame.functionName || '(anonymous)'}  ${packageOf(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + time);
    const pkg = packageOf(frame.url).replace(/^node:.*/, 'node internals');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time);
  }
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, t]) => `${pct(t)}  ${name}`)
      .join('\n');
  return `self time by package:\n${top(byPackage, 15)}\n\nself time by function (top 40):\n${top(byFunction, 40)}\n`;
}

async function main(): Promise<void> {
  pinSelf(1);
  const dir = `${benchDir}tmp/profiles/${id}-${work}-${Date.now()}`;
  mkdirSync(dir, { recursive: true });
  const started = await startTarget(spec.file, { ...spec.env }, [], spec.runtime);
  if (started.kind !== 'ready') throw new Error(`${id}: ${started.kind}: ${started.reason}`);
  const { target } = started;
  const mint = async (count: number) =>
    (await target.mint(work, count)).map((credential) => bodyFor(work, target.endpoint, credential));
  const warm = await runPhase(target.endpoint, work, await mint(20_000), connections, 2, target.pid);
  const rate = Math.max(2000, warm.ok / warm.seconds);
  const bodies = await mint(Math.ceil(rate * seconds * 2));
  const file = `${dir}/window.cpuprofile`;
  await target.profile('start', file);
  const result = await runPhase(target.endpoint, work, bodies, connections, seconds, target.pid);
  await target.profile('stop', file);
  await target.stop();
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  console.log(
    `${id} ${work} c=${connections}: ${(result.ok / result.seconds).toFixed(0)} rps under the profiler (p50 ${result.p50} ms)`,
  );
  console.log(`profile of the measured window only: ${file}\n`);
  console.log(summarise(profile));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

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
import { type CpuProfile, summarise } from './lib/cpu-profile.ts';
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
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
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

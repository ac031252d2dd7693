/**
 * Summaries of V8 CPU profiles (`.cpuprofile`, as the inspector's
 * `Profiler.stop` returns them): self time by package and by function, for
 * `profile.ts` and `tail.ts`.
 */
import { benchDir } from './process.ts';

/** One node of the profile's call tree. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
/** A V8 CPU profile. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a script URL belongs to (a pnpm dependency, a Kraikub package, Node itself). */
export function packageOf(url: string): string {
  if (url === '') return '(native / VM)';
  if (url.startsWith('node:')) return `node:${url.replace(/^node:(internal\/)?/, '')}`;
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pnpm) return pnpm[1] as string;
  const kraikub = url.match(/packages\/([^/]+)\//);
  if (kraikub) return `@kraikub/${kraikub[1]}`;
  return url.replace(/^file:\/\//, '').replace(benchDir, 'bench/');
}

/** Self time by package (top 15) and by function (top 40), as text. */
export function summarise(profile: CpuProfile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // The profiler's own calls (the inspector session's `post`, which starts and stops it) are left out.
  const own = new Set<number>();
  const mark = (node: ProfileNode, inside: boolean): void => {
    const here = inside || node.callFrame.url === 'node:inspector';
    if (here) own.add(node.id);
    for (const child of node.children ?? []) mark(byId.get(child) as ProfileNode, here);
  };
  const root = profile.nodes[0];
  if (root !== undefined) mark(root, false);
  const self = new Map<number, number>();
  profile.samples.forEach((sample, i) => {
    if (own.has(sample)) return;
    self.set(sample, (self.get(sample) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [nodeId, time] of self) {
    const frame = (byId.get(nodeId) as ProfileNode).callFrame;
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

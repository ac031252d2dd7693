// Packaging checks for every built @kraikub/* package: publint (package.json
// and files agree) and @arethetypeswrong/cli (types resolve for ESM and CJS
// consumers under node10, node16 and bundler resolution).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(root, 'packages', entry.name));

let failed = 0;
for (const dir of packages) {
  // Adapters and the test kit take core as a peer: one copy of core per app, never a second.
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (manifest.name !== '@kraikub/core') {
    const peer = manifest.peerDependencies?.['@kraikub/core'];
    if (peer === undefined || manifest.dependencies?.['@kraikub/core'] !== undefined) {
      failed += 1;
      console.error(`FAIL ${manifest.name}: @kraikub/core must be a peerDependency, not a dependency`);
    } else {
      console.log(`ok   peer @kraikub/core ${dir.slice(root.length)}`);
    }
  }
  for (const [tool, args] of [
    ['publint', ['--strict', dir]],
    ['attw', ['--pack', dir, '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync('pnpm', ['exec', tool, ...args], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
      console.log(`ok   ${tool} ${dir.slice(root.length)}`);
    } catch (error) {
      failed += 1;
      console.error(`FAIL ${tool} ${dir.slice(root.length)}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
if (failed > 0) {
  console.error(`${failed} packaging check(s) failed`);
  process.exit(1);
}

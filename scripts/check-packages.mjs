// Packaging checks for every built @kraikub/* package: publint (package.json
// and files agree) and @arethetypeswrong/cli (types resolve for ESM and CJS
// consumers under node10, node16 and bundler resolution).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(root, 'packages', entry.name));

let failed = 0;
for (const dir of packages) {
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
